// Fixed identity of the local stack: the region, account and credentials every emulator and client uses.
export interface LocalAwsSettings {
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const LOCAL_AWS: LocalAwsSettings = {
  host: '127.0.0.1',
  region: 'us-east-1',
  accountId: '000000000000',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
