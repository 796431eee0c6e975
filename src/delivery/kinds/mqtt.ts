// `kind: mqtt`: an MQTT publish at QoS 1, counted as delivered once the
// broker's PUBACK arrives. QoS 0 is refused: the broker answers nothing, so
// "sent" would only mean "written to the socket", which a connection that
// drops a moment later loses without a trace. QoS 2 buys exactly-once only
// within one session; a retried delivery is a new publish on a new connection,
// so it adds round trips and no guarantee. The delivery id travels as the
// `Idempotency-Key` user property for consumers to deduplicate with.
//
// MQTT 5 (the default) carries the target's headers as user properties and
// the body's content type as the Content Type property, and its PUBACK says
// whether the broker took the message (an ACL refusal is a reason code). MQTT
// 3.1.1 (`version: 3.1.1`, for older brokers) has no properties, so headers
// cannot be sent, and its PUBACK cannot refuse: a broker whose ACL denies the
// topic acknowledges and drops the message.
//
// The client never reconnects by itself: the target's pool closes the
// connection after an error and opens a new one on the next attempt. A publish
// waiting for its PUBACK fails at once when the connection drops, and in any
// case when timeoutMs passes.
import { randomBytes } from 'node:crypto';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { PublishError, type Confirmation, type KindKey, type KindProblem, type Message, type TargetKind } from './types.js';
import { errorMessage } from '../../lib/errors.js';

export interface MqttSettings {
  readonly host: string;
  readonly port: number;
  /** mqtt:// or mqtts:// (TLS). */
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  /** The topic as written (rendered per delivery into `msg.values.topic` when it holds a template). */
  readonly topic: string;
  readonly qos: 1;
  readonly retain: boolean;
  /** The MQTT protocol level: 5 (MQTT 5) or 4 (MQTT 3.1.1). */
  readonly protocolVersion: 5 | 4;
}

export interface MqttConnection {
  readonly client: MqttClient;
  /** Rejects the publishes waiting for a PUBACK when the connection drops. */
  readonly waiting: Set<(err: PublishError) => void>;
  /** PUBACK reason codes by packet id (MQTT 5), read when the publish resolves. */
  readonly acks: Map<number, number>;
  lastError?: string;
}

const DEFAULT_PORT: Readonly<Record<string, number>> = { 'mqtt:': 1883, 'mqtts:': 8883 };

const keys: Record<string, KindKey> = {
  url: {
    type: 'string',
    description: 'The broker: `mqtt://[user:pass@]host:1883` (`mqtts://` for TLS, default port 8883). Static: no templates.',
  },
  topic: {
    type: 'string',
    minLength: 1,
    description:
      'The topic to publish to (a template, e.g. `shop/{{ topic }}`). No `+` or `#` wildcards, no control characters, at most 65535 bytes, not starting with `$` (`$SYS/…`, `$CONTROL/…` are the broker\u2019s). A rendered topic breaking these fails its delivery permanently.',
  },
  qos: {
    enum: [1],
    default: 1,
    description: 'QoS 1: delivered once the broker\u2019s PUBACK arrives. QoS 0 has no acknowledgement to wait for, and QoS 2 adds nothing across retries.',
  },
  retain: {
    type: 'boolean',
    default: false,
    description: 'Publish as the topic\u2019s retained message (new subscribers get the last one). Default false.',
  },
  version: {
    enum: [5, '3.1.1'],
    default: 5,
    description: 'The MQTT protocol: 5 (headers as user properties, content type, PUBACK reason codes) or `3.1.1` for brokers without MQTT 5 (no headers; an ACL refusal is not reported).',
  },
};

/** The longest MQTT string (a topic, a user property's name or value): a two-byte length prefix. */
const MAX_STRING_BYTES = 65_535;

/**
 * Why `text` cannot be an MQTT string, or undefined. Brokers (Mosquitto) close
 * the connection on a string that is not well-formed UTF-8 for MQTT: NUL,
 * control characters (U+0001–U+001F, U+007F–U+009F) and non-characters, which
 * would fail every other publish in flight on that connection.
 */
function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'cannot hold a NUL character';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return `cannot hold control characters (U+${c.toString(16).toUpperCase().padStart(4, '0')})`;
    if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) === 0xfffe) return `cannot hold the non-character U+${c.toString(16).toUpperCase()}`;
    if (c >= 0xd800 && c <= 0xdfff) return 'cannot hold a lone surrogate (not UTF-8)';
  }
  if (Buffer.byteLength(text) > MAX_STRING_BYTES) return `is ${Buffer.byteLength(text)} bytes, longer than ${MAX_STRING_BYTES} bytes`;
  return undefined;
}

const DOLLAR = 'topics starting with $ ($SYS/, $CONTROL/ …) are the broker\u2019s own';

/** Why `topic` cannot be published to, or undefined. `partial`: a template's literal text only. */
export function topicProblem(topic: string, partial = false): string | undefined {
  if (/[+#]/.test(topic)) return 'a topic to publish to cannot hold the wildcards + or #';
  if (topic.includes('\u0000')) return 'a topic cannot hold a NUL character';
  // A template's literal start is judged too: `$SYS/{{ x }}` is the broker's whatever it renders.
  if (topic.startsWith('$')) return DOLLAR;
  if (partial) return undefined;
  if (topic === '') return 'the topic is empty';
  const bad = stringProblem(topic);
  if (bad) return `a topic ${bad}`;
  return undefined;
}

function parseUrl(raw: unknown): Pick<MqttSettings, 'host' | 'port' | 'tls' | 'username' | 'password'> | string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'url is required: mqtt://[user:pass@]host:1883';
  if (raw.includes('{{')) return 'url is static: it cannot hold templates';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url is not a URL (mqtt://[user:pass@]host:1883)';
  }
  const defaultPort = DEFAULT_PORT[u.protocol];
  if (defaultPort === undefined) return `url must be mqtt:// or mqtts://, not ${u.protocol}//`;
  if (u.hostname === '') return 'url has no host';
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') return 'url takes no path, query or fragment: the topic is its own key';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port === '' ? defaultPort : Number(u.port);
  let username: string, password: string;
  try {
    username = decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    return 'url has a badly percent-encoded user name or password';
  }
  if (password !== '' && username === '') return 'url has a password but no user name';
  return { host, port, tls: u.protocol === 'mqtts:', ...(username !== '' ? { username } : {}), ...(password !== '' ? { password } : {}) };
}

function compile(raw: Readonly<Record<string, unknown>>): MqttSettings | { problems: KindProblem[] } {
  const problems: KindProblem[] = [];
  const url = parseUrl(raw.url);
  if (typeof url === 'string') problems.push({ key: 'url', message: url });
  const topic = raw.topic;
  if (typeof topic !== 'string' || topic === '') {
    problems.push({ key: 'topic', message: 'topic is required: the MQTT topic to publish to (e.g. shop/orders)' });
  } else {
    const templated = topic.includes('{{');
    // With a template only the literal text can be judged now; the rendered topic is checked per delivery.
    const why = topicProblem(templated ? topic.replace(/\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}/g, 'x') : topic, templated);
    if (why) problems.push({ key: 'topic', message: why });
  }
  if (raw.qos !== undefined && raw.qos !== 1) {
    problems.push({
      key: 'qos',
      message:
        raw.qos === 0
          ? 'qos must be 1: at QoS 0 the broker sends no acknowledgement, so a delivery could never be confirmed (a message lost with its connection would count as delivered)'
          : 'qos must be 1: QoS 1 is confirmed by the PUBACK; QoS 2\u2019s exactly-once holds only within one session, and a retried delivery is a new one',
    });
  }
  if (raw.retain !== undefined && typeof raw.retain !== 'boolean') problems.push({ key: 'retain', message: 'retain must be true or false' });
  let protocolVersion: 5 | 4 = 5;
  if (raw.version === '3.1.1') protocolVersion = 4;
  else if (raw.version !== undefined && raw.version !== 5 && raw.version !== '5') problems.push({ key: 'version', message: 'version must be 5 or "3.1.1"' });
  const headers = raw.headers;
  if (protocolVersion === 4 && headers !== null && typeof headers === 'object' && Object.keys(headers).length > 0) {
    problems.push({ key: 'headers', message: 'MQTT 3.1.1 has no message properties to carry headers: use version 5, or drop the headers' });
  }
  if (problems.length > 0 || typeof url === 'string' || typeof topic !== 'string') return { problems };
  return { ...url, topic, qos: 1, retain: raw.retain === true, protocolVersion };
}

function reasonCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

// CONNACK refusals that the same settings will meet again (3.1.1: 1, 4, 5; MQTT 5: 0x84, 0x86, 0x87, 0x8A, 0x8C, 0x9C, 0x9D).
const PERMANENT_CONNACK = new Set([1, 4, 5, 132, 134, 135, 138, 140, 156, 157]);
// PUBACK refusals that the same message will meet again: not authorized, topic name invalid, too large, payload format, retain/QoS not supported.
const PERMANENT_PUBACK = new Set([135, 144, 149, 153, 154, 155]);

function hostPort(s: MqttSettings): string {
  return `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
}

async function connect(settings: MqttSettings, timeoutMs: number): Promise<MqttConnection> {
  const { connect: mqttConnect } = await import('mqtt');
  const where = `MQTT ${hostPort(settings)}`;
  const client = mqttConnect({
    host: settings.host,
    port: settings.port,
    protocol: settings.tls ? 'mqtts' : 'mqtt',
    protocolVersion: settings.protocolVersion,
    clientId: `switchboard-${randomBytes(4).toString('hex')}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: Math.max(1, timeoutMs),
    resubscribe: false,
    queueQoSZero: false,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
  });
  const conn: MqttConnection = { client, waiting: new Set(), acks: new Map() };
  // Listeners for the connection's whole life: an 'error' without one would crash the process.
  client.on('error', (err) => {
    conn.lastError = errorMessage(err);
  });
  client.on('close', () => {
    const err = new PublishError(`${where}: the connection was lost before the PUBACK${conn.lastError ? ` (${conn.lastError})` : ''}`);
    for (const reject of [...conn.waiting]) reject(err);
  });
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' && typeof packet.messageId === 'number') conn.acks.set(packet.messageId, packet.reasonCode ?? 0);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new PublishError(`${where}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        client.off('connect', onConnect).off('error', onError).off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => finish();
      const onError = (err: Error) => {
        const code = reasonCode(err);
        let text = `${where}: ${errorMessage(err)}`;
        if (code === 1 || code === 132) text += settings.protocolVersion === 5 ? ' (the broker does not speak MQTT 5: set version: 3.1.1)' : '';
        finish(new PublishError(text, code !== undefined && PERMANENT_CONNACK.has(code)));
      };
      const onClose = () => finish(new PublishError(`${where}: the connection closed before the CONNACK${conn.lastError ? ` (${conn.lastError})` : ''}`));
      client.on('connect', onConnect).on('error', onError).on('close', onClose);
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  return conn;
}

async function publish(conn: MqttConnection, msg: Message, settings: MqttSettings, timeoutMs: number): Promise<Confirmation> {
  const where = `MQTT ${hostPort(settings)}`;
  const topic = settings.topic.includes('{{') ? (msg.values.topic ?? '') : settings.topic;
  const bad = topicProblem(topic);
  if (bad) throw new PublishError(`topic ${JSON.stringify(topic.slice(0, 200))}: ${bad}`, true);
  const { client } = conn;
  const v5 = settings.protocolVersion === 5;
  if (!v5 && Object.keys(msg.headers).length > 0) throw new PublishError('MQTT 3.1.1 has no message properties to carry headers: use version 5, or drop the headers', true);
  if (!client.connected) throw new PublishError(`${where}: the connection is closed${conn.lastError ? ` (${conn.lastError})` : ''}`);
  const server = client.serverProperties;
  if (v5 && server) {
    if (settings.retain && server.retainAvailable === false) throw new PublishError(`${where}: the broker does not support retained messages (retain: true)`, true);
    if (server.maximumQoS === 0) throw new PublishError(`${where}: the broker only takes QoS 0, which cannot be confirmed`, true);
    if (server.maximumPacketSize !== undefined && msg.body.length > server.maximumPacketSize) {
      throw new PublishError(`${where}: the body (${msg.body.length} bytes) is larger than the broker\u2019s maximum packet size (${server.maximumPacketSize})`, true);
    }
  }
  const options: IClientPublishOptions = { qos: 1, retain: settings.retain };
  // Roughly what the PUBLISH packet holds besides the body: the fixed header, topic, packet id and properties.
  let size = 5 + 2 + Buffer.byteLength(topic) + 2;
  if (v5) {
    // The delivery id first, so a target header of the same name (any case) replaces it, as on HTTP targets.
    const userProperties: Record<string, string> = { 'Idempotency-Key': msg.deliveryId, ...(msg.traceparent ? { traceparent: msg.traceparent } : {}) };
    for (const [name, value] of Object.entries(msg.headers)) {
      for (const existing of Object.keys(userProperties)) if (existing.toLowerCase() === name.toLowerCase()) delete userProperties[existing];
      userProperties[name] = value;
    }
    // Every string is checked before anything is sent: a malformed one makes the broker close the connection.
    for (const [name, value] of Object.entries(userProperties)) {
      const bad = stringProblem(name) ?? stringProblem(value);
      if (bad) throw new PublishError(`header ${JSON.stringify(name.slice(0, 100))}: its ${stringProblem(name) ? 'name' : 'value'} ${bad} (an MQTT 5 user property)`, true);
      size += 5 + Buffer.byteLength(name) + Buffer.byteLength(value);
    }
    const badType = stringProblem(msg.contentType);
    if (badType) throw new PublishError(`the content type ${badType}`, true);
    size += 5 + 3 + Buffer.byteLength(msg.contentType);
    options.properties = { contentType: msg.contentType, userProperties };
  }
  // The broker's limit is on the whole packet; a larger one makes it close the connection.
  const limit = v5 ? server?.maximumPacketSize : undefined;
  if (limit !== undefined && size + msg.body.length > limit) {
    throw new PublishError(`${where}: the message (${size + msg.body.length} bytes with topic and headers) is larger than the broker\u2019s maximum packet size (${limit})`, true);
  }
  // An MQTT packet's length field holds at most 268435455 bytes.
  if (size + msg.body.length > 268_435_455) throw new PublishError(`${where}: the message (${size + msg.body.length} bytes) is larger than an MQTT packet can be (256 MB)`, true);

  let timer: NodeJS.Timeout | undefined;
  let reject!: (err: PublishError) => void;
  const failed = new Promise<never>((_, r) => (reject = r));
  conn.waiting.add(reject);
  timer = setTimeout(() => reject(new PublishError(`${where}: no PUBACK within ${timeoutMs} ms`)), timeoutMs);
  const sending = client.publishAsync(topic, msg.body, options);
  sending.catch(() => undefined); // settled after a timeout or a dropped connection: nothing waits for it any more
  try {
    const packet = await Promise.race([sending, failed]);
    const id = (packet as { messageId?: number } | undefined)?.messageId;
    const code = id !== undefined ? conn.acks.get(id) : undefined;
    if (id !== undefined) conn.acks.delete(id);
    const note = code === 16 ? ', no matching subscribers' : '';
    return { detail: `PUBACK${id !== undefined ? ` (packet id ${id}${note})` : ''}` };
  } catch (err) {
    if (err instanceof PublishError) throw err;
    const code = reasonCode(err);
    if (code !== undefined) throw new PublishError(`${where}: the broker refused the message: ${errorMessage(err)} (reason code 0x${code.toString(16)})`, PERMANENT_PUBACK.has(code));
    throw new PublishError(`${where}: publish failed: ${errorMessage(err)}`);
  } finally {
    clearTimeout(timer);
    timer = undefined;
    conn.waiting.delete(reject);
  }
}

async function close(conn: MqttConnection): Promise<void> {
  const { client } = conn;
  if (client.disconnected) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.stream?.destroy();
      resolve();
    }, 2000);
    // A DISCONNECT when the connection is up and idle (a clean goodbye); else the socket closed at once
    // (publishes still waiting for a PUBACK fail).
    const force = !client.connected || Object.keys(client.outgoing).length > 0;
    client.end(force, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const mqtt: TargetKind<MqttSettings, MqttConnection> = {
  name: 'mqtt',
  summary: 'Publishes to an MQTT broker at QoS 1 (MQTT 5 user properties for headers; the delivery id as Idempotency-Key).',
  confirmedBy: 'the broker\u2019s PUBACK (QoS 1)',
  keys,
  required: ['url', 'topic'],
  templated: ['topic'],
  credentialUrls: ['url'],
  packages: ['mqtt'],
  compile,
  endpoint: (s) => ({ scheme: s.tls ? 'mqtts' : 'mqtt', host: s.host, port: s.port }),
  describe(s, msg) {
    const topic = s.topic.includes('{{') ? (msg.values.topic ?? s.topic) : s.topic;
    return { method: 'PUBLISH', url: `${s.tls ? 'mqtts' : 'mqtt'}://${hostPort(s)} \u2192 topic ${topic}, qos 1${s.retain ? ', retain' : ''}` };
  },
  connect,
  publish,
  close,
};
