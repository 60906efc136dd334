// Lets counting for detection see every FlowBatch the intake applies. The intake's BatchConsumer is the one
// place all batches pass (in-process decoding and decoder workers alike) but it has no listener option yet, so
// this wraps its consume() on the instance: the intake accounts the batch first, then the tap sees the same
// bytes, synchronously, before the writer reuses the buffer. A failure in the tap is reported to onError and
// never reaches the intake's receive loop. When the intake grows a batch-listener option, the appliance should
// use that and this file should go.
export interface BatchConsuming {
  consume(bytes: Uint8Array): void;
}

export function tapBatches(consumer: BatchConsuming, sink: (bytes: Uint8Array) => void, onError: (err: unknown) => void): void {
  const original = consumer.consume.bind(consumer);
  consumer.consume = (bytes: Uint8Array): void => {
    original(bytes);
    try {
      sink(bytes);
    } catch (err) {
      onError(err);
    }
  };
}
