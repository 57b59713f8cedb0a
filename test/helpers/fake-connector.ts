/** A stand-in connector: a real RpcClient that forwards requests to game servers and records every batch it is sent. */
import { BackendMethod, ConnectorMethod, type ForwardedRequest, type ForwardedResponse, type SessionSnapshot, type TickBatch } from "../../services/src/cluster/contract";
import type { ServerInfo } from "../../services/src/discovery";
import { RpcClient } from "../../services/src/rpc";

export class FakeConnector {
  readonly rpc: RpcClient;
  readonly batches: TickBatch[] = [];

  constructor(readonly id: string) {
    this.rpc = new RpcClient({ serverId: id, requestTimeoutMs: 3000 });
    this.rpc.onNotify(ConnectorMethod.batch, (batch: TickBatch) => this.batches.push(batch));
  }

  session(id: string): SessionSnapshot {
    return { id, connectorId: this.id, uid: null, settings: {} };
  }

  async request(server: ServerInfo, session: SessionSnapshot, route: string, body: unknown): Promise<any> {
    const request: ForwardedRequest = { session, route, body: Buffer.from(JSON.stringify(body)) };
    const response = await this.rpc.call<ForwardedResponse>(server, BackendMethod.request, request);
    return JSON.parse(Buffer.from(response.body).toString("utf8"));
  }

  batchesFrom(tick: number): TickBatch[] {
    return this.batches.filter((batch) => batch.tick >= tick);
  }
}
