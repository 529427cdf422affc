/**
 * The admin API's router: routes of a method and a path pattern (`:name` matches one segment),
 * matched in the order they were added. A trailing slash is ignored; HEAD is answered by the GET
 * route without its body; a path no route matches, or a method no route of that path takes, is
 * the caller's "not found".
 */

/** What a handler gets: the request, its parsed URL, the path's named segments, and who asked. */
export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** The name of the token the request carried (set by the caller once it checked the token). */
  readonly actor: string;
}

export type RouteHandler = (c: RouteContext) => Response | Promise<Response>;

export interface Route {
  readonly method: string;
  /** The pattern as written, e.g. `/controller/network/:nwid`. */
  readonly path: string;
  readonly handler: RouteHandler;
}

/** Routes added in order; `add` returns the same list so a table reads as one expression. */
export class RouteTable {
  readonly routes: Route[] = [];
  private readonly compiled: { route: Route; segments: readonly string[] }[] = [];

  add(method: string, path: string, handler: RouteHandler): this {
    const route = { method, path, handler };
    this.routes.push(route);
    this.compiled.push({ route, segments: splitPath(path) });
    return this;
  }

  /** The route for a method and a (raw, percent-encoded) path, with its named segments; null when none. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const segments = splitPath(pathname);
    for (const { route, segments: pattern } of this.compiled) {
      if (route.method !== wanted || pattern.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let matches = true;
      for (let i = 0; i < pattern.length && matches; i++) {
        if (pattern[i]!.startsWith(':')) params[pattern[i]!.slice(1)] = decodeSegment(segments[i]!);
        else matches = pattern[i] === segments[i];
      }
      if (matches) return { route, params };
    }
    return null;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
