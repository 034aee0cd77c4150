// The non-replay telemetry of a recorded session: OTLP log events (records with
// `event_name`) and the span attributes the session index reads. The SDK emits these,
// the receiver's index feeder counts them, and Loki stores them (with `session.id` as
// structured metadata `session_id`). Semconv names are used wherever semconv has one.

/** Event names (`LogRecord.event_name`). */
export const EventName = {
  /** semconv session lifecycle events. */
  sessionStart: 'session.start',
  sessionEnd: 'session.end',
  /** A document load or an SPA route change. Attributes: url.full, replay.page.title. */
  pageView: 'browser.page_view',
  /** A click. Attributes: replay.click.selector, replay.click.text (masked), url.full. */
  click: 'browser.click',
  /** Several clicks on one spot in a short time. Attributes as for click, plus replay.click.count. */
  rageClick: 'browser.rage_click',
  /** A click after which nothing changed on the page. Attributes as for click. */
  deadClick: 'browser.dead_click',
  /** An unhandled error or rejection, or one reported through the API (semconv `exception` attributes). */
  exception: 'exception',
  /** A console call. Attributes: replay.console.level; the body is the message. */
  console: 'browser.console',
  /** A custom event from the SDK's API. Attributes: replay.custom.name plus the caller's. */
  custom: 'otel_replay.custom',
  /** identify(userId, traits): attributes user.id plus user.* traits. */
  identify: 'otel_replay.identify',
} as const;

/** Attribute names read by the index from events and spans (and their resources). */
export const Attr = {
  sessionId: 'session.id',
  previousSessionId: 'session.previous_id',
  serviceName: 'service.name',
  userId: 'user.id',
  userEmail: 'user.email',
  urlFull: 'url.full',
  pageTitle: 'replay.page.title',
  userAgent: 'user_agent.original',
  browserName: 'browser.name',
  browserPlatform: 'browser.platform',
  browserMobile: 'browser.mobile',
  deviceType: 'device.type',
  osName: 'os.name',
  clickSelector: 'replay.click.selector',
  clickCount: 'replay.click.count',
  consoleLevel: 'replay.console.level',
  exceptionType: 'exception.type',
  exceptionMessage: 'exception.message',
  httpStatus: 'http.response.status_code',
  /** Older HTTP semconv, still sent by older instrumentations. */
  httpStatusLegacy: 'http.status_code',
  errorType: 'error.type',
} as const;

export type EventNameValue = (typeof EventName)[keyof typeof EventName];
