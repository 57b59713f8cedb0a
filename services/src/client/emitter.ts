/** A small typed event emitter that runs in browsers and Node alike (no `node:events`). */
export type Listener = (payload: any) => void;

export class Emitter {
  private readonly listeners = new Map<string, Set<Listener>>();

  on(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => this.off(name, listener);
  }

  once(name: string, listener: Listener): () => void {
    const off = this.on(name, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off(name: string, listener: Listener): void {
    this.listeners.get(name)?.delete(listener);
  }

  /** A throwing listener is reported on the console and never breaks the client's state machine. */
  protected emit(name: string, payload?: unknown): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        console.error(`pomona client: a "${name}" listener threw:`, error);
      }
    }
  }
}
