/**
 * The Redis channel on which the replicas of one game publish their viewer frames, so a viewer on
 * any replica sees the whole game. Shared by the relay and the game role's ACL rule (`gameId` "*").
 */
export const viewerChannel = (namespace: string, gameId: string): string => `{${namespace}}:viewer:${gameId}`;
