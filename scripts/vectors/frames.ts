import { pino } from "pino";
import { DEFAULT_CONFIG } from "../../core/config/config.js";
import type { ByteTransport } from "../../core/connection/connection.js";
import type { ConnectionLifecycle } from "../../core/connection/server-connection.js";
import { ServerConnection } from "../../core/connection/server-connection.js";
import { Dispatcher } from "../../core/dispatch/dispatcher.js";
import { HandlerRegistry } from "../../core/dispatch/handler-registry.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { ErrorReply } from "../../core/protocol/index.js";
import { HeartbeatHandler } from "../../plugins/heartbeat/heartbeat.handler.js";
import { hex } from "./hex.js";
import { SERVER } from "./inputs.js";

/** A transport that keeps what the server writes. */
class CapturingTransport implements ByteTransport {
  readonly kind = "memory";
  readonly remoteAddress = "memory";
  readonly bufferedBytes = 0;
  readonly written: Buffer[] = [];
  write(data: Buffer, onWritten?: (error?: Error | null) => void): void {
    this.written.push(Buffer.from(data));
    onWritten?.(null);
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  onceDrained(callback: () => void): void {
    callback();
  }
  end(): void {}
  destroy(): void {}
}

const NO_LIFECYCLE: ConnectionLifecycle = { established() {}, closing() {}, closed() {}, violated() {} };

/**
 * Bytes in, bytes out through the server's real connection and dispatcher
 * (heartbeat handler only): what a client sees for an unknown command and for
 * a heartbeat, before any session.
 */
function serverAnswers(input: Buffer): Buffer[] {
  const registry = new HandlerRegistry();
  registry.add(new HeartbeatHandler());
  const config = {
    maxBodyBytes: SERVER.maxBodyBytes,
    compressThresholdBytes: 10 * 1024,
    unknownCommand: "reply" as const,
    maxErrorsBeforeSession: DEFAULT_CONFIG.maxErrorsBeforeSession,
  };
  const dispatcher = new Dispatcher(registry, config, pino({ level: "silent" }));
  const transport = new CapturingTransport();
  const limits = { maxBodyBytes: SERVER.maxBodyBytes, maxQueuedFrames: 32, maxOutboundBytes: 1 << 20 };
  const connection = new ServerConnection("v", transport, dispatcher, NO_LIFECYCLE, limits, {
    now: () => 0,
    steady: () => 0,
  });
  connection.receive(input);
  return transport.written;
}

export function frameVectors() {
  const unknown = encodeFrame(99, 0, 7, Buffer.alloc(0));
  const [errorFrame, heartbeat] = serverAnswers(Buffer.concat([unknown, Buffer.from([0xdf])]));
  if (!errorFrame || !heartbeat) throw new Error("test vectors: the server did not answer");
  const error = ErrorReply.decode(errorFrame.subarray(13));
  return {
    heartbeat: { request: "df", reply: hex(heartbeat) },
    unsupported_command: {
      request_frame: hex(unknown),
      reply_frame: hex(errorFrame),
      reply: {
        cmd: errorFrame[4],
        seq: errorFrame.readUInt32BE(8),
        command: error.command,
        code: error.code,
        reason: error.reason,
      },
    },
  };
}
