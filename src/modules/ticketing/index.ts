export { createTicketSystem, jsonPath, parseJsonPath, ticketUrl } from './ticketing.js';
export {
  TicketRefusedError,
  TicketSystemUnavailableError,
  type HttpTicketSettings,
  type TicketingSettings,
  type TicketSystem,
  type TicketSystemKind,
} from './ticketing.types.js';
