// s3rver ships no types; what the backup tests use of it.
declare module "s3rver" {
  interface S3rverOptions {
    port: number;
    address: string;
    silent: boolean;
    directory: string;
    key: Buffer;
    cert: Buffer;
    configureBuckets: { name: string; configs: string[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<unknown>;
    close(): Promise<void>;
  }
}
