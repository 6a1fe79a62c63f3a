/**
 * A trie over path segments. Each node holds the routes whose prefix ends
 * there; after `seal()`, each node also knows its full candidate chain (its
 * own routes, then its nearest ancestors', longest prefix first), wrapped
 * once into what lookups return. A lookup is one walk down the path: its cost
 * depends on the path's length, not on the number of routes.
 */
export class SegmentTrie<T, R> {
  private readonly root = new TrieNode<T, R>();

  /** `wrap` turns each node's chain into what lookups return (once per node). */
  constructor(private readonly wrap: (chain: readonly T[]) => R) {}

  insert(prefix: string, value: T): void {
    let node = this.root;
    for (const seg of segmentsOf(prefix)) {
      let child = node.children.get(seg);
      if (child === undefined) {
        child = new TrieNode<T, R>();
        node.children.set(seg, child);
      }
      node = child;
    }
    node.own.push(value);
  }

  /** Computes every node's chain; call once after the last insert. */
  seal(): void {
    const visit = (node: TrieNode<T, R>, inherited: readonly T[], inheritedResult: R | undefined): void => {
      const own = node.own.length > 0;
      node.chain = own ? Object.freeze([...node.own, ...inherited]) : inherited;
      node.result = own || inheritedResult === undefined ? this.wrap(node.chain) : inheritedResult;
      for (const child of node.children.values()) visit(child, node.chain, node.result);
    };
    visit(this.root, Object.freeze([]), undefined);
  }

  /** What `wrap` made of the chain of the deepest prefix covering `path`. */
  lookup(path: string): R {
    return this.deepest(path).result as R;
  }

  /** The chain of the deepest prefix covering `path` (longest prefix first). */
  chainAt(path: string): readonly T[] {
    return this.deepest(path).chain;
  }

  private deepest(path: string): TrieNode<T, R> {
    let node = this.root;
    let start = 1;
    const end = path.length;
    while (start <= end) {
      let slash = path.indexOf("/", start);
      if (slash === -1) slash = end;
      const child = node.children.get(path.slice(start, slash));
      if (child === undefined) break;
      node = child;
      start = slash + 1;
    }
    return node;
  }
}

class TrieNode<T, R> {
  readonly children = new Map<string, TrieNode<T, R>>();
  readonly own: T[] = [];
  chain: readonly T[] = [];
  result: R | undefined;
}

function segmentsOf(prefix: string): string[] {
  return prefix === "/" ? [] : prefix.slice(1).split("/");
}
