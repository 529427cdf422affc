/** The protocol layer (protocol.md §1, §4–§7): dictionary, certificate, netconf, wire payloads. */
export * from './ids.js';
export * from './ip.js';
export * from './dictionary.js';
export * from './certificate.js';
export * from './network-config.js';
export * from './netconf-template.js';
export * from './wire.js';
