import { Connector, type ConnectorConfigInput, type ConnectorOptions, type HandshakeCheck } from "../../services/src/connector";
import { RouteDictionary } from "../../services/src/protocol";
import { RpcClient } from "../../services/src/rpc";
import { freePort } from "../helpers/ports";
import { TestGateway } from "./test-gateway";

export const dictionary = RouteDictionary.fromRoutes(["connector.session.ping", "echo.h.echo", "onRebind", "onTick"]);

export interface Running {
  readonly connector: Connector;
  readonly gateway: TestGateway;
  readonly rpc: RpcClient;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startConnector(
  config: Partial<ConnectorConfigInput> = {},
  handshakeCheck?: HandshakeCheck,
  isReady?: () => boolean,
  observer?: ConnectorOptions["observer"],
): Promise<Running> {
  const rpc = new RpcClient({ serverId: "connector-0" });
  let gateway: TestGateway | undefined;
  const connector = new Connector({
    config: { connectorId: "connector-0", host: "127.0.0.1", port: await freePort(), routeDictionary: dictionary, ...config },
    rpc,
    gateway: (events) => (gateway = new TestGateway(events)),
    ...(handshakeCheck === undefined ? {} : { handshakeCheck }),
    ...(isReady === undefined ? {} : { isReady }),
    ...(observer === undefined ? {} : { observer }),
  });
  const port = await connector.listen();
  return {
    connector,
    gateway: gateway!,
    rpc,
    port,
    async stop() {
      await connector.stop();
      rpc.close();
    },
  };
}
