/** The nginx subdomain proxy: topology → nginx.conf, for the local cluster and the ConfigMap alike. See docs/proxy.md. */
export { renderNginxConfig, connectorRoutes, proxyTimeoutSec, CONNECTOR_VARIABLE } from "./nginx-config";
export {
  nginxTopologySchema,
  parseNginxTopology,
  kubeDnsResolver,
  CONNECTOR_HOST_PREFIX,
  MAX_CONNECTORS,
  type NginxTopology,
  type NginxTopologyInput,
  type ClusterTopology,
  type LocalTopology,
} from "./topology";
export { renderGameRoutes, type GameRoutesInput } from "./game-routes";
