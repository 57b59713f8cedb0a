/** The tests run nginx exactly as the local cluster does. */
export * from "../../scripts/local-cluster/nginx";
