/**
 * A Pomona game cluster from this stack's file: one PomonaCluster named after the stack, and its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { PomonaCluster } from "./cluster";
import { clusterArgsFromStack } from "./config";

const cluster = new PomonaCluster(pulumi.getStack(), clusterArgsFromStack());

export const kubernetesNamespace = cluster.namespace;
export const servicesImage = cluster.servicesImage;
export const frontDoor = cluster.config.frontDoor.mode;
export const playerAuth = cluster.config.auth.mode;
export const gateUrl = cluster.gateUrl;
export const proxyUrl = cluster.proxyUrl;
export const connectorUrl = cluster.connectorUrl;
export const connectorHosts = cluster.connectorHosts;
export const dnsRecords = cluster.dnsRecords;
export const viewerUrls = cluster.viewerUrls;
export const redisEndpoint = cluster.redisEndpoint;
export const gameCreatorUrl = cluster.creatorUrl;
export const gameCreatorToken = cluster.creatorToken;
