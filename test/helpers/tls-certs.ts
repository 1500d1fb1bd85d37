import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TlsFiles } from "./redis.js";

const run = promisify(execFile);

/**
 * A throwaway CA and a certificate it signed for 127.0.0.1, made with the
 * openssl command (scripts/test-prereqs.sh installs it): Node can check
 * certificates but not issue them.
 */
export async function tlsCerts(): Promise<TlsFiles> {
  const dir = mkdtempSync(join(tmpdir(), "mpush-tls-"));
  const file = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=mpush test CA",
  ]);
  await run("openssl", [
    "req",
    ...ec,
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
    "-subj",
    "/CN=127.0.0.1",
  ]);
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("server.pem"),
    "-days",
    "2",
    "-extfile",
    file("san.ext"),
  ]);
  return { ca: file("ca.pem"), cert: file("server.pem"), key: file("server.key") };
}
