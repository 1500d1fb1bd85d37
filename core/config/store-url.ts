/**
 * Why `store` is not a session store the server can open, or undefined when
 * it is one. Checked at boot, so a mistyped URL is a config error naming it,
 * not a TypeError from inside the Redis client.
 */
export function storeUrlProblem(store: unknown): string | undefined {
  if (store === "memory") return undefined;
  if (typeof store !== "string") return "expected a string";
  // After the credentials, which may hold either character unencoded.
  const afterCredentials = store.slice(store.lastIndexOf("@") + 1);
  if (afterCredentials.includes("?")) return "query parameters are not read: write user and password before the host";
  if (afterCredentials.includes("#")) return "a fragment (#) is not read";
  const cluster = parseClusterUrl(store);
  if (cluster !== undefined) {
    if (cluster.nodes.length === 0) return "a cluster URL names no node";
    for (const [i, node] of cluster.nodes.entries()) {
      const address = parsed(`redis://${node}`);
      // Not quoted: a node that is not host:port may be a password written in the wrong place.
      if (address === undefined || address.hostname === "" || address.port === "" || address.pathname !== "") {
        return `cluster node ${i + 1} of ${cluster.nodes.length} is not host:port`;
      }
    }
    return undefined;
  }
  if (!/^rediss?:\/\//.test(store)) {
    return 'expected "memory", redis://, rediss://, redis+cluster:// or rediss+cluster://';
  }
  const url = parsed(store);
  if (url === undefined) return "not a valid URL (a port that is not a number, or several hosts without +cluster?)";
  if (url.hostname === "") return "no host";
  if (!/^(\/\d*)?$/.test(url.pathname)) return "the path must be a database number, as in redis://host:6379/0";
  return undefined;
}

function parsed(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

export interface ClusterUrl {
  readonly scheme: "redis" | "rediss";
  readonly tls: boolean;
  readonly nodes: readonly string[];
  readonly credentials: { readonly username?: string; readonly password?: string };
}

/**
 * Credentials are written once, before the first node, and belong to the
 * cluster: node-redis reaches every node it discovers with the defaults only,
 * so a password left in a seed's URL would never get past that seed.
 */
export function parseClusterUrl(store: string): ClusterUrl | undefined {
  // Up to the last "@": a password may hold one, or a "/", unencoded.
  const match = /^(rediss?)\+cluster:\/\/(?:(.*)@)?([^@]+)$/.exec(store);
  if (!match) return undefined;
  const [, scheme, userinfo, hosts] = match as unknown as [string, "redis" | "rediss", string | undefined, string];
  const credentials: { username?: string; password?: string } = {};
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const username = decoded(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (username !== "") credentials.username = username;
    if (colon >= 0) credentials.password = decoded(userinfo.slice(colon + 1));
  }
  const nodes = hosts
    .split(",")
    .map((node) => node.trim())
    .filter((node) => node !== "");
  return { scheme, tls: scheme === "rediss", nodes, credentials };
}

/** Percent-decoded, or as written when it is not valid percent-encoding (a raw "%" in a password). */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
