/** Game servers: the game developer's API (`defineGame`) and the server role that runs a game. */
export {
  defineGame,
  GameError,
  RemoteCallError,
  remoteMethod,
  gameRoutes,
  type GameDefinition,
  type GameHooks,
  type HandlerSpec,
  type RemoteSpec,
  type GameContext,
  type TickContext,
  type HandlerContext,
  type RemoteContext,
  type GameChannel,
  type GameServerInfo,
  type SessionRef,
  type ClosedSession,
  type MovedSession,
  type HandlerFilter,
  type HandlerOutcome,
  type ServerRoute,
  type RemoteCallOptions,
  type RemoteCallErrorCode,
  type RemoteApi,
} from "./api";
export { serialPerSession, handlerTimeout, tooBusy, LagMonitor, type SerialPerSessionOptions, type HandlerTimeoutOptions, type TooBusyOptions } from "./filters";
export { RemoteCaller, CallRouter, type RemoteCallerOptions, type RemoteCallStats } from "./remote-calls";
export { GameServer, DEFAULT_TICK_HZ, type GameServerStats } from "./game-server";
export { gameServerConfigSchema, parseGameServerConfig, type GameServerConfig, type GameServerConfigInput } from "./config";
export { GameRuntime, type RuntimeCounters, type ConnectorCalls, type RemoteCalls, type GameRuntimeOptions } from "./runtime";
export { BatchBuilder, type BroadcastTarget } from "./batch-builder";
export { Channel, ChannelRegistry, type ChannelMember, type ChannelOutput } from "./channel";
export { TickLoop, planNextTick, isOverrun, type TickPlan, type TickPlanInput, type TickLoopOptions, type TickLoopStats } from "./tick-loop";
