/**
 * Reads by key, gathered per event-loop turn: the keys asked for during one
 * turn go to the database in one statement at the start of the next
 * (`setImmediate`), and each caller gets its own key's value. On PostgreSQL
 * every statement is a round trip, and the backend's and the driver's cost
 * per statement (a socket write, a backend wake-up, a bind, a portal, a
 * result) dwarfs the cost per row of a key read: under load, the requests
 * parsed in one turn share that cost.
 *
 * Never a cached answer: a read is sent only after every key it carries was
 * asked for, so it sees every change committed before each caller asked (a
 * regenerated key is refused at once). Reads already sent are not joined;
 * keys asked for meanwhile go in the next one. Several reads may be in flight
 * (the pool bounds them).
 */
export class ReadBatcher<K, V> {
  readonly #read: (keys: K[]) => Promise<Map<K, V>>;
  readonly #maxKeys: number;
  #waiting = new Map<K, Waiter<V>[]>();
  #scheduled = false;

  /** `read` returns the value of each key found; a key it leaves out reads as undefined. */
  constructor(read: (keys: K[]) => Promise<Map<K, V>>, options: { maxKeys: number }) {
    this.#read = read;
    this.#maxKeys = options.maxKeys;
  }

  get(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiters = this.#waiting.get(key);
      if (waiters === undefined) this.#waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#send());
      }
    });
  }

  #send(): void {
    this.#scheduled = false;
    const waiting = this.#waiting;
    this.#waiting = new Map();
    const keys = [...waiting.keys()];
    for (let start = 0; start < keys.length; start += this.#maxKeys) {
      const chunk = keys.slice(start, start + this.#maxKeys);
      this.#read(chunk).then(
        (values) => {
          for (const key of chunk) for (const waiter of waiting.get(key) ?? []) waiter.resolve(values.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const waiter of waiting.get(key) ?? []) waiter.reject(error);
        },
      );
    }
  }
}

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}
