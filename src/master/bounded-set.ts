/** A set that forgets its oldest entries beyond a size, for remembering without growing forever. */
export class BoundedSet<T> {
  readonly #items = new Set<T>();

  constructor(private readonly limit: number) {}

  has(item: T): boolean {
    return this.#items.has(item);
  }

  add(item: T): void {
    this.#items.delete(item);
    this.#items.add(item);
    if (this.#items.size > this.limit) this.#items.delete(this.#items.values().next().value as T);
  }
}
