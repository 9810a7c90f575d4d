// The one small event every webhook parser produces, whatever the registry.

export interface RegistryEvent {
  /** push: an image (manifest/index) was pushed; delete: removed; ignored: recorded, no action;
   *  invalid: this event is malformed (its siblings in the delivery are still judged) */
  action: 'push' | 'delete' | 'ignored' | 'invalid';
  /** registry host as used in references ("ghcr.io", "127.0.0.1:5000") */
  registry: string;
  repository: string;
  digest?: string;
  tag?: string;
  mediaType?: string;
  /** why an event is ignored (layer blob, pull, mount, own write-back...) or invalid */
  reason?: string;
  /** the source's id for the delivery or event, when it sends one */
  deliveryId?: string;
}

/** What a parser returns: events, or (SNS) a reply the route must send instead. */
export interface ParsedDelivery {
  events: RegistryEvent[];
}
