import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import S3rver from "s3rver";
import { freePort } from "./net";

// A real S3-protocol server for the backup tests: s3rver, on its own port,
// over HTTPS with a certificate made for the test (restic's S3 client signs
// plain-HTTP uploads as a chunked stream, which s3rver stores as it came;
// over HTTPS it sends the bytes as they are, as with any real store).

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** The PEM file of the certificate it serves, for PODSPACE_BACKUP_S3_CA_FILE. */
  caFile: string;
  /** Where it keeps the objects, to look at or tamper with. */
  directory: string;
  close(): Promise<void>;
}

const execFileAsync = promisify(execFile);

/** `address`: where it listens, an IPv4 address its certificate names too (a pod network's gateway, for pods). */
export async function startS3Server(bucket = "podspace-backups", address = "127.0.0.1"): Promise<TestS3Server> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-s3-"));
  const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
  await execFileAsync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", `subjectAltName=DNS:localhost,IP:${address}`, "-keyout", key, "-out", cert,
  ]);
  const directory = path.join(dir, "objects");
  const port = await freePort();
  const server = new S3rver({
    port,
    address,
    silent: true,
    directory,
    key: await fs.readFile(key),
    cert: await fs.readFile(cert),
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await server.run();
  return {
    endpoint: `https://${address}:${port}`,
    bucket,
    caFile: cert,
    directory,
    async close() {
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** The environment that points Podspace's backups at `s3`, each test file's under a prefix of its own. */
export function backupEnvFor(s3: TestS3Server, prefix: string) {
  return {
    PODSPACE_BACKUP_S3_BUCKET: s3.bucket,
    PODSPACE_BACKUP_S3_ENDPOINT: s3.endpoint,
    PODSPACE_BACKUP_S3_PREFIX: prefix,
    PODSPACE_BACKUP_S3_PATH_STYLE: "true" as const,
    PODSPACE_BACKUP_S3_CA_FILE: s3.caFile,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
}
