// reflect-metadata must be evaluated before @peculiar/x509 (its ASN.1 schemas use decorators
// that read Reflect metadata); ES module imports are evaluated in the order written here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto is the provider everywhere (keys are generated and used by OpenSSL underneath).
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
export const subtle = webcrypto.subtle;
