import type { TrafficKeys } from "../crypto/key-schedule.js";
import { RecordCipher } from "../crypto/record-cipher.js";
import { RecordError } from "../errors/frame-errors.js";
import { FrameDecoder } from "../protocol/frame-decoder.js";
import { encodeFrame, heartbeatFrame } from "../protocol/frame-encoder.js";
import { FrameFlag, HEARTBEAT_BYTE, HEARTBEAT_PACKET, type Packet } from "../protocol/packet.js";
import type { Clock } from "../runtime/clock.js";
import type { SessionContext } from "../session/session-context.js";
import type { ByteTransport, Connection } from "./connection.js";
import { currentTurn } from "./event-loop-turn.js";

/** Where a connection's packets go, one at a time and in order. */
export interface PacketSink {
  /** A returned promise holds back this connection's next packet until it settles. */
  dispatch(connection: ServerConnection, packet: Packet): void | Promise<void>;
}

/** The request whose async handler is running: told when its connection goes away. */
export interface InFlightRequest {
  connectionClosed(reason: string): void;
}

/** What the server learns from its connections. */
export interface ConnectionLifecycle {
  established(connection: ServerConnection, session: SessionContext): void;
  /**
   * close() was called: the connection ends once the packet in hand is
   * answered and its output flushed. The server bounds that wait, since a
   * handler may never settle and a peer may never read.
   */
  closing(connection: ServerConnection): void;
  closed(connection: ServerConnection, reason: string): void;
  /** A peer broke framing or sealing; the connection is being destroyed. */
  violated(connection: ServerConnection, error: Error): void;
}

export interface ConnectionLimits {
  readonly maxBodyBytes: number;
  readonly maxQueuedFrames: number;
  readonly maxOutboundBytes: number;
}

const SERVER_SEQ_BIT = 0x8000_0000;
const SEQ_MASK = 0x7fff_ffff;

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

/**
 * Frames of one connection handled in one turn of the event loop; the rest
 * wait for the next turn. One 64 KiB read can hold 2 000 sealed requests, about
 * 20 ms of work, and every other connection would wait that long behind it.
 */
export const FRAMES_PER_TURN = 64;

/**
 * 0xDF bytes cost nanoseconds each, so they are counted apart: a read that
 * brings this many stops reading from the connection until the next turn.
 * Otherwise one pump of 0xDF is read 64 KiB after 64 KiB within a single turn.
 */
export const HEARTBEATS_PER_TURN = 16_384;

/**
 * The server side of one connection: frames in, record layer, a per-connection
 * queue so packets are handled strictly in order, frames out. Everything a
 * transport-specific class would repeat lives here, so a WebSocket transport
 * only has to move bytes.
 */
export class ServerConnection implements Connection {
  readonly openedAt: number;
  lastReadAt: number;
  session: SessionContext | undefined;
  /** ERRORs answered while there was no session; the dispatcher closes the connection at its limit. */
  errorsBeforeSession = 0;
  /** Set by the dispatcher while an async handler runs for this connection. */
  inFlight: InFlightRequest | undefined;
  private readonly decoder: FrameDecoder;
  private inbound: RecordCipher | undefined;
  private outbound: RecordCipher | undefined;
  private queue: Packet[] = [];
  /** A packet is in hand: an async handler runs, or the connection waits for its next turn. */
  private busy = false;
  /** The turn the two counts below belong to. */
  private countedTurn = -1;
  private framesThisTurn = 0;
  private heartbeatsThisTurn = 0;
  /** A read brought HEARTBEATS_PER_TURN: reading waits for the next turn. */
  private readHeldForTurn = false;
  /** close() was called while a packet was being handled: end once its reply is out. */
  private endPending = false;
  private readPaused = false;
  private awaitingDrain = false;
  private state = OPEN;
  private closeReason: string | undefined;
  private seq = 0;
  /** > 0 while inbound bytes or queued packets are being worked through: writes are corked, heartbeat echoes counted. */
  private batching = 0;
  private echoesOwed = 0;

  constructor(
    readonly id: string,
    private readonly pipe: ByteTransport,
    private readonly sink: PacketSink,
    private readonly lifecycle: ConnectionLifecycle,
    private readonly limits: ConnectionLimits,
    private readonly clock: Clock,
  ) {
    this.openedAt = clock.steady();
    this.lastReadAt = this.openedAt;
    this.decoder = new FrameDecoder(limits.maxBodyBytes);
  }

  get transport(): string {
    return this.pipe.kind;
  }

  get remoteAddress(): string {
    return this.pipe.remoteAddress;
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  get encrypted(): boolean {
    return this.outbound !== undefined;
  }

  /** Inbound bytes from the transport. */
  receive(chunk: Buffer): void {
    if (this.state !== OPEN) return;
    this.lastReadAt = this.clock.steady();
    const now = currentTurn();
    if (now !== this.countedTurn) {
      this.countedTurn = now;
      this.framesThisTurn = 0;
      this.heartbeatsThisTurn = 0;
    }
    this.startBatch();
    try {
      this.decoder.push(chunk, this.onPacket);
    } catch (error) {
      this.abort(error as Error);
    } finally {
      this.endBatch();
    }
    if (this.heartbeatsThisTurn >= HEARTBEATS_PER_TURN && !this.readHeldForTurn) {
      this.readHeldForTurn = true;
      this.updateFlow();
      setImmediate(ServerConnection.releaseRead, this);
    }
  }

  send(cmd: number, flags: number, seq: number, body: Uint8Array, onWritten?: (error?: Error | null) => void): void {
    if (this.state === CLOSED) {
      onWritten?.(new Error("connection is closed"));
      return;
    }
    const frame = this.outbound ? this.outbound.seal(cmd, flags, seq, body) : encodeFrame(cmd, flags, seq, body);
    // Echoes owed for 0xDF that came before this frame's request go out first: replies keep the order of requests.
    this.writeEchoes();
    this.pipe.write(frame, onWritten);
  }

  /**
   * Every 0xDF is echoed, but consecutive echoes within one chunk (or one run
   * of queued packets) go out as one write, before the next frame: a client
   * pumping 0xDF without reading would otherwise queue a write per byte, tens
   * of bytes of heap each, past any outbound limit counted in bytes.
   */
  sendHeartbeat(): void {
    if (this.state === CLOSED) return;
    if (this.batching > 0) this.echoesOwed++;
    else this.pipe.write(heartbeatFrame());
  }

  /** Server-initiated seqs have the top bit set; a client's requests never do, so a push can never be taken for a reply. */
  nextSeq(): number {
    this.seq = (this.seq + 1) & SEQ_MASK || 1;
    return (SERVER_SEQ_BIT | this.seq) >>> 0;
  }

  /**
   * Switches both directions to the record layer. Called right after the
   * reply that carries the key exchange was queued, so that reply goes out in
   * clear and every later frame, both ways, is sealed.
   */
  installKeys(keys: TrafficKeys): void {
    this.outbound = new RecordCipher(keys.serverToClient);
    this.inbound = new RecordCipher(keys.clientToServer);
  }

  /** Called once the reply that established the session was written. */
  establish(session: SessionContext): void {
    this.session = session;
    this.lifecycle.established(this, session);
  }

  close(reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.closeReason = reason;
    this.queue = [];
    // A packet being handled still gets its reply; queued ones are dropped.
    if (this.busy) this.endPending = true;
    else this.pipe.end();
    this.lifecycle.closing(this);
  }

  /** The transport is gone. */
  transportClosed(reason: string): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.endPending = false;
    this.queue = [];
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    inFlight?.connectionClosed(this.closeReason ?? reason);
    this.lifecycle.closed(this, this.closeReason ?? reason);
  }

  /** Closes now, dropping anything unsent. */
  destroy(reason: string): void {
    if (this.state === CLOSED) return;
    this.state = CLOSING;
    this.closeReason ??= reason;
    this.endPending = false;
    this.queue = [];
    this.pipe.destroy();
  }

  private abort(error: Error): void {
    if (this.state !== OPEN) return;
    this.lifecycle.violated(this, error);
    this.destroy(`${error.name}: ${error.message}`);
  }

  private readonly onPacket = (packet: Packet): void => {
    if (!this.busy && this.framesThisTurn >= FRAMES_PER_TURN) this.waitForNextTurn();
    if (this.busy) {
      this.queue.push(packet);
      this.updateFlow();
      return;
    }
    this.run(packet);
  };

  private run(first: Packet): void {
    this.startBatch();
    try {
      let packet: Packet | undefined = first;
      while (packet !== undefined && this.state === OPEN) {
        let pending: void | Promise<void>;
        try {
          pending = this.process(packet);
        } catch (error) {
          this.abort(error as Error);
          return;
        }
        if (pending !== undefined) {
          this.busy = true;
          // Closures per async request, not per connection: an idle connection keeps none.
          pending.then(
            () => this.afterAsync(),
            (error: unknown) => this.afterAsyncFailure(error),
          );
          return;
        }
        if (this.framesThisTurn >= FRAMES_PER_TURN && this.queue.length > 0) {
          this.waitForNextTurn();
          break;
        }
        packet = this.queue.shift();
      }
      this.updateFlow();
    } finally {
      this.endBatch();
    }
  }

  /**
   * A read, or a run of queued packets, is one batch: its replies (a client's
   * pipelined requests, a flood of unknown commands) leave in one write call,
   * not one each.
   */
  private startBatch(): void {
    if (this.batching++ === 0) this.pipe.cork();
  }

  private endBatch(): void {
    if (--this.batching > 0) return;
    const echoed = this.echoesOwed > 0;
    this.writeEchoes();
    this.pipe.uncork();
    if (echoed) this.updateFlow();
  }

  private writeEchoes(): void {
    const owed = this.echoesOwed;
    if (owed === 0) return;
    this.echoesOwed = 0;
    if (this.state !== CLOSED) this.pipe.write(owed === 1 ? heartbeatFrame() : Buffer.alloc(owed, HEARTBEAT_BYTE));
  }

  private waitForNextTurn(): void {
    this.busy = true;
    setImmediate(ServerConnection.nextTurn, this);
  }

  // Static, with the connection as setImmediate's argument: floods alone need these, so no
  // connection carries a closure for them.
  private static releaseRead(connection: ServerConnection): void {
    connection.readHeldForTurn = false;
    connection.updateFlow();
  }

  /** The held frames' turn: its share counts toward the turn it runs in, so reads later in that turn wait. */
  private static nextTurn(connection: ServerConnection): void {
    connection.countedTurn = currentTurn();
    connection.framesThisTurn = 0;
    connection.heartbeatsThisTurn = 0;
    connection.afterAsync();
  }

  private afterAsync(): void {
    this.busy = false;
    if (this.endIfPending()) return;
    const next = this.queue.shift();
    // Resume reading as soon as the backlog is below the limit, not only once it is empty.
    this.updateFlow();
    if (next !== undefined) this.run(next);
  }

  private afterAsyncFailure(error: unknown): void {
    this.busy = false;
    if (!this.endIfPending()) this.abort(error as Error);
  }

  /** Completes a close() that waited for the packet in hand. */
  private endIfPending(): boolean {
    if (!this.endPending) return false;
    this.endPending = false;
    this.pipe.end();
    return true;
  }

  private process(packet: Packet): void | Promise<void> {
    if (packet === HEARTBEAT_PACKET) {
      this.heartbeatsThisTurn++;
      return this.sink.dispatch(this, packet);
    }
    this.framesThisTurn++;
    if (this.inbound !== undefined) {
      const body = this.inbound.open(packet);
      return this.sink.dispatch(this, {
        cmd: packet.cmd,
        flags: packet.flags & ~FrameFlag.ENCRYPTED,
        seq: packet.seq,
        body,
      });
    }
    if ((packet.flags & FrameFlag.ENCRYPTED) !== 0)
      throw new RecordError("sealed frame before any keys were established");
    return this.sink.dispatch(this, packet);
  }

  /** Pauses reading while this connection has too much queued either way; resumes once it has not. */
  private updateFlow(): void {
    if (this.state !== OPEN) return;
    const outboundFull = this.pipe.bufferedBytes > this.limits.maxOutboundBytes;
    if (outboundFull && !this.awaitingDrain) {
      this.awaitingDrain = true;
      this.pipe.onceDrained(() => {
        this.awaitingDrain = false;
        this.updateFlow();
      });
    }
    const congested = outboundFull || this.queue.length >= this.limits.maxQueuedFrames || this.readHeldForTurn;
    if (congested && !this.readPaused) {
      this.readPaused = true;
      this.pipe.pause();
    } else if (!congested && this.readPaused) {
      this.readPaused = false;
      this.pipe.resume();
    }
  }
}
