/**
 * Generated from openapi/ada-webhooks.yaml by `npm run generate` (openapi-typescript).
 * Do not edit: change the contract and run `npm run generate` again.
 * From the contract with SHA-256 a5a0a1612bd7af184596f6ba531b5fd4beb7486765076a9d295baf876dad537b.
 */

export interface paths {
    "/webhooks/ada": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Receive a delivery from Ada
         * @description The endpoint registered with Ada. It verifies the Svix signature, validates the body
         *     against this document, stores the delivery durably, and only then answers 200.
         *     Ada retries any other answer (immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h,
         *     10 h and 10 h), and redelivers with the same delivery id.
         *
         *     Ada may send the unbranded header names (`webhook-id`, `webhook-timestamp`,
         *     `webhook-signature`) instead of the `svix-*` ones; both sets are accepted, so none of
         *     them is required as a parameter. A delivery without a valid signature under either
         *     name is answered 401 before its body is looked at.
         */
        post: operations["receiveAdaWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description Answers 200 while the process is running.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description Answers 200 when the inbox can be reached and written (after a failed write, a probe
         *     write must succeed again) and the contract is loaded, 503 otherwise: a load balancer
         *     then stops sending deliveries to this process until it recovers by itself. A broker that
         *     deliveries are forwarded to is reported, but does not make the receiver unready.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description Deliveries by outcome and event type, request latency, inbox rows by state, in the
         *     Prometheus text format.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "v1.conversation.created": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Conversation created
         * @description A conversation started on a channel that emits webhooks (a custom channel through the
         *     Conversations API, native Chat or Email, or a native Voice call).
         */
        post: operations["conversationCreated"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.conversation.message": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Conversation message
         * @description A message was added to a conversation by the end user, the AI Agent or a human agent.
         *     CSAT surveys arrive as `link` messages.
         */
        post: operations["conversationMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.conversation.ended": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Conversation ended
         * @description A conversation ended: the end conversation endpoint was called, or a Voice call
         *     disconnected.
         */
        post: operations["conversationEnded"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.conversation.handoff.ended": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Conversation handoff ended
         * @description A handoff to a human agent ended and the AI Agent has control of the conversation
         *     again. The conversation itself goes on.
         */
        post: operations["conversationHandoffEnded"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.end_user.created": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End user created
         * @description A new end user was created through any channel.
         */
        post: operations["endUserCreated"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.end_user.updated": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End user updated
         * @description A value of an end user's profile changed. System properties and a few browser
         *     metavariables (such as `ip_address` or `user_agent`) do not trigger it.
         */
        post: operations["endUserUpdated"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "v1.audit_log.emitted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Audit log emitted
         * @description A configuration change was recorded in Ada's audit log. Ada delivers these on a best
         *     effort basis; its audit log API remains the complete record.
         */
        post: operations["auditLogEmitted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /**
         * @description Any delivery Ada may send: one of the known events, or an event type this document
         *     does not know yet. Ada promises that new event types are not breaking changes, so an
         *     unknown type with an object `data` is accepted and stored rather than rejected.
         *     Every branch fixes `type`, so exactly one branch can match.
         */
        AdaWebhookDelivery: components["schemas"]["ConversationCreatedEvent"] | components["schemas"]["ConversationMessageEvent"] | components["schemas"]["ConversationEndedEvent"] | components["schemas"]["ConversationHandoffEndedEvent"] | components["schemas"]["EndUserCreatedEvent"] | components["schemas"]["EndUserUpdatedEvent"] | components["schemas"]["AuditLogEmittedEvent"] | components["schemas"]["UnknownEvent"];
        /**
         * @description An event type that this document does not describe yet. Its `type` must look like the
         *     name of an Ada event (`v` and a version number, then two or more dot-separated
         *     lower-case words, at most 128 characters, such as `v1.conversation.message`), and must
         *     not be one of the known ones (a known type that fails its own schema is a violation,
         *     not an unknown event). `npm run generate` keeps this list equal to the keys of `webhooks`.
         */
        UnknownEvent: {
            type: string;
            timestamp?: components["schemas"]["AdaTimestamp"];
            data: {
                [key: string]: unknown;
            };
            tags?: components["schemas"]["Tags"];
        };
        /**
         * @description An ISO 8601 date and time. Tolerance: Ada's examples carry an offset
         *     (`2020-09-20T00:00:00+00:00`), but its versioning page shows values without any offset
         *     and with microseconds (`2023-12-08T19:06:04.890000`), so strict RFC 3339
         *     (`format: date-time`) would reject real deliveries. This pattern accepts both, with or
         *     without fractional seconds and offset; a value without an offset means UTC.
         * @example 2026-11-24T09:15:02.417+00:00
         * @example 2023-12-08T19:06:04.890000
         */
        AdaTimestamp: string;
        /**
         * @description Svix channel tags Ada attaches to the event. Ada documents them on end-user and audit
         *     events only and may add tags at any time; tolerance: accepted on every event.
         */
        Tags: string[];
        /**
         * @description Key/value pairs. Values are strings, booleans or numbers. Tolerance: Ada's webhook
         *     schema lists integers for channel metadata, but the Channels API accepts floats, so
         *     every metadata map here accepts any number.
         */
        Metadata: {
            [key: string]: string | boolean | number;
        };
        /**
         * @description API domain of the AI Agent that emitted the event, such as `acme.ada.support` (regional zones such as `acme.eu.ada.support` occur too).
         * @example acme.ada.support
         */
        AiAgentDomain: string;
        /** @description Sent when a conversation starts. */
        ConversationCreatedEvent: {
            /** @enum {string} */
            type: "v1.conversation.created";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["ConversationCreatedData"];
            tags?: components["schemas"]["Tags"];
        };
        ConversationCreatedData: {
            /** @description The new conversation. */
            conversation_id?: string;
            /** @description The channel the conversation started on. */
            channel_id?: string;
            created_at?: components["schemas"]["AdaTimestamp"];
            /** @description The end user taking part in the conversation. */
            end_user_id?: string;
            metadata?: components["schemas"]["Metadata"];
            ai_agent_domain?: components["schemas"]["AiAgentDomain"];
        };
        /** @description Sent when a message is added to a conversation. */
        ConversationMessageEvent: {
            /** @enum {string} */
            type: "v1.conversation.message";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["ConversationMessageData"];
            tags?: components["schemas"]["Tags"];
        };
        ConversationMessageData: {
            /** @description The message that triggered the event. An opaque id (sometimes a UUID, sometimes 24 hex digits). */
            message_id?: string;
            /** @description The conversation the message belongs to. */
            conversation_id?: string;
            /** @description The end user of the conversation. */
            end_user_id?: string;
            /**
             * @description Label of the handoff integration (such as `zendesk_chat`, `salesforce` or a custom
             *     label) when the message is part of a handoff; `null` when it is addressed to the
             *     AI Agent.
             */
            handoff_integration?: string | null;
            channel?: components["schemas"]["MessageChannel"];
            created_at?: components["schemas"]["AdaTimestamp"];
            author?: components["schemas"]["MessageAuthor"];
            content?: components["schemas"]["MessageContent"];
            ai_agent_domain?: components["schemas"]["AiAgentDomain"];
        };
        /**
         * @description The channel the message was sent on: one of Ada's native channels or a custom channel.
         *     Each variant fixes `type` to one value. Ada's `discriminator` is left out on purpose:
         *     openapi-typescript would replace those values with the schema names.
         */
        MessageChannel: components["schemas"]["NativeChannel"] | components["schemas"]["CustomChannel"];
        /**
         * @description How the channel communicates. Tolerance: Ada's webhook schema lists `messaging`,
         *     `email` and `voice`; its channel API now also creates `sms` channels, so `sms` is
         *     accepted too.
         * @enum {string}
         */
        ChannelModality: "messaging" | "email" | "voice" | "sms";
        /** @description What the channel can render. An omitted capability means false. */
        ChannelCapabilities: {
            /**
             * @description The channel renders Markdown.
             * @default false
             */
            markdown: boolean;
        };
        /** @description One of Ada's built-in channels (Chat, Email, Voice). */
        NativeChannel: {
            /** @enum {string} */
            type: "native";
            /** @description The channel. */
            id: string;
            /** @description Display name of the channel. */
            name: string;
            /** @description What the channel is for. */
            description: string;
            modality: components["schemas"]["ChannelModality"];
            capabilities?: components["schemas"]["ChannelCapabilities"];
        };
        /** @description A channel created through Ada's Conversations API. */
        CustomChannel: {
            /** @enum {string} */
            type: "custom";
            /** @description The channel. */
            id: string;
            /** @description Display name of the channel. */
            name: string;
            /** @description What the channel is for. */
            description: string;
            modality: components["schemas"]["ChannelModality"];
            capabilities?: components["schemas"]["ChannelCapabilities"];
            metadata?: components["schemas"]["Metadata"];
            created_at?: components["schemas"]["AdaTimestamp"];
        };
        /** @description Who wrote the message. */
        MessageAuthor: {
            /** @description The author's id; the end user id for `end_user`, usually null for `ai_agent` and `human_agent`. */
            id?: string | null;
            /**
             * @description The kind of participant that wrote the message.
             * @enum {string}
             */
            role?: "end_user" | "ai_agent" | "human_agent";
            /** @description URL of the author's avatar. */
            avatar?: string | null;
            /** @description The author's display name. */
            display_name?: string | null;
        };
        /**
         * @description What the message says. Each variant fixes `type`. Tolerance: `presence` is not in
         *     Ada's schema, but Ada's own demo receivers handle it (status notices such as "An agent
         *     joined"), so it is a variant of its own.
         */
        MessageContent: components["schemas"]["TextContent"] | components["schemas"]["LinkContent"] | components["schemas"]["FileContent"] | components["schemas"]["PresenceContent"];
        /** @description A plain text message. */
        TextContent: {
            /** @enum {string} */
            type: "text";
            /** @description The text. */
            body: string;
        };
        /** @description A standalone link, such as a CSAT survey. */
        LinkContent: {
            /** @enum {string} */
            type: "link";
            /** @description The link's address. */
            url?: string;
            /** @description Text shown for the link, if any. */
            link_text?: string | null;
        };
        /** @description An attached file. */
        FileContent: {
            /** @enum {string} */
            type: "file";
            /**
             * Format: uri
             * @description Presigned download address, valid for 7 days.
             */
            url: string;
            /** @description Media type of the file. */
            mime_type: string;
            /** @description Original file name. */
            filename: string;
        };
        /** @description A status notice in the conversation, such as an agent joining or leaving. */
        PresenceContent: {
            /** @enum {string} */
            type: "presence";
            /** @description The notice. */
            body: string;
        };
        /** @description Sent when a conversation ends. */
        ConversationEndedEvent: {
            /** @enum {string} */
            type: "v1.conversation.ended";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["ConversationEndedData"];
            tags?: components["schemas"]["Tags"];
        };
        ConversationEndedData: {
            /** @description The conversation that ended. */
            conversation_id?: string;
            /** @description The channel (an id here, unlike the message event's channel object). */
            channel_id?: string;
            /** @description The end user of the conversation. */
            end_user_id?: string;
            created_at?: components["schemas"]["AdaTimestamp"];
            updated_at?: components["schemas"]["AdaTimestamp"];
            ended_by?: components["schemas"]["EndedBy"];
            metadata?: components["schemas"]["Metadata"];
            ai_agent_domain?: components["schemas"]["AiAgentDomain"];
        };
        /** @description Who ended the conversation. */
        EndedBy: {
            /** @description Id of the participant who ended it; null when the system did. */
            id?: string | null;
            /**
             * @description The kind of participant who ended it.
             * @enum {string}
             */
            role?: "end_user" | "system" | "human_agent";
        };
        /** @description Sent when a handoff ends and the AI Agent takes the conversation back. */
        ConversationHandoffEndedEvent: {
            /** @enum {string} */
            type: "v1.conversation.handoff.ended";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["ConversationHandoffEndedData"];
            tags?: components["schemas"]["Tags"];
        };
        /**
         * @description Tolerance: Ada's spec requires `ai_agent_domain` too, but Ada's handoff examples
         *     omit it and it is optional on every other conversation event, so it is optional here.
         */
        ConversationHandoffEndedData: {
            /** @description The conversation whose handoff ended. */
            conversation_id: string;
            /** @description The end user of the conversation. */
            end_user_id: string;
            /** @description Label of the integration whose handoff ended, such as `custom-handoff`. */
            handoff_integration: string;
            ai_agent_domain?: components["schemas"]["AiAgentDomain"];
        };
        /**
         * @description Sent when an end user is created. Ada's spec types `type` as a plain string; it is a
         *     single-value enum here so that the event union narrows.
         */
        EndUserCreatedEvent: {
            /** @enum {string} */
            type: "v1.end_user.created";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["EndUserData"];
            tags?: components["schemas"]["Tags"];
        };
        /**
         * @description Sent when a value of an end user's profile changes. Same shape as
         *     `v1.end_user.created`.
         */
        EndUserUpdatedEvent: {
            /** @enum {string} */
            type: "v1.end_user.updated";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["EndUserData"];
            tags?: components["schemas"]["Tags"];
        };
        EndUserData: {
            /** @description Ada's id of the end user. */
            end_user_id?: string;
            /**
             * @description Your own id for the end user (custom channel integrations), unique per AI Agent
             *     and compared case-insensitively; null when unset. Ada documents at most 36
             *     characters; the length is not enforced, since Ada treats id lengths as free to
             *     change.
             */
            external_id?: string | null;
            profile?: components["schemas"]["EndUserProfile"];
            created_at?: components["schemas"]["AdaTimestamp"];
            updated_at?: components["schemas"]["AdaTimestamp"];
        };
        /** @description The end user's profile. Every field is optional. */
        EndUserProfile: {
            /** @description Given name. */
            first_name?: string | null;
            /** @description Family name. */
            last_name?: string | null;
            /** @description Name shown in conversations. */
            display_name?: string | null;
            /** @description URL of the avatar. */
            avatar?: string | null;
            /** @description Email address. */
            email?: string | null;
            /** @description Preferred language as a BCP 47 tag, such as `en-US`. */
            language?: string | null;
            /**
             * @description Custom profile fields. Ada's schema allows any value here (its prose mentions
             *     strings, booleans and integers), so values are not constrained.
             */
            metadata?: {
                [key: string]: unknown;
            };
            system_properties?: components["schemas"]["EndUserSystemProperties"];
        };
        /** @description Read-only properties that Ada sets; which keys appear depends on configuration. */
        EndUserSystemProperties: {
            /** @description The end user's Sunshine Conversations id, when that integration is on. */
            sunshine_user_id?: string | null;
        };
        /**
         * @description Sent when the audit log records a configuration change. Ada's spec types `type` as a
         *     plain string and `timestamp` as `date-time`; here `type` is a single-value enum (so the
         *     union narrows) and the timestamp uses the same tolerant format as every other event.
         */
        AuditLogEmittedEvent: {
            /** @enum {string} */
            type: "v1.audit_log.emitted";
            timestamp: components["schemas"]["AdaTimestamp"];
            data: components["schemas"]["AuditLogEntry"];
            tags?: components["schemas"]["Tags"];
        };
        /** @description One audit log record. Ada sends empty strings, not null, for values it does not have. */
        AuditLogEntry: {
            /** @description Globally unique id of the audit event. */
            id: string;
            timestamp: components["schemas"]["AdaTimestamp"];
            /** @description Email of the actor; empty for system and service-token actors. */
            actor_email?: string;
            /** @description Name of the actor; empty when unknown. */
            actor_name?: string;
            /** @description User id of the actor (for API keys, the user who created the key); empty for system and service-token actors. */
            actor_user_id?: string;
            /** @description Kind of entity that changed. */
            entity_type: string;
            /** @description The entity that changed. */
            entity_id: string;
            /** @description Name of the entity that changed. */
            entity_name?: string;
            /**
             * @description What happened to the entity.
             * @enum {string}
             */
            activity: "created" | "updated" | "deleted" | "executed" | "invited" | "activated" | "deactivated";
            /** @description Where the change came from, such as `dashboard`, `api`, `mcp`, `cli`, `import`, `export` or `system`. */
            interface?: string;
            /** @description IP address the change came from. */
            context_ip?: string;
            /** @description User agent the change came from. */
            context_user_agent?: string;
            /** @description Name of the Platform API key used, for keys created in the dashboard; empty otherwise. */
            api_key_name?: string;
        };
        /** @description The receiver's answer to a stored delivery. */
        Acknowledgement: {
            /**
             * @description `accepted` for a delivery stored now, `duplicate` for one stored earlier under the
             *     same delivery id.
             * @enum {string}
             */
            status: "accepted" | "duplicate";
            /** @description The delivery id. */
            id: string;
        };
        /** @description An RFC 9457 problem detail. */
        Problem: {
            /** @description A URI reference that identifies the problem type. */
            type: string;
            /** @description Short summary of the problem. */
            title: string;
            /** @description The HTTP status code. */
            status: number;
            /** @description Explanation specific to this request. */
            detail?: string;
        };
        /** @description A problem detail that lists every contract violation. */
        ValidationProblem: components["schemas"]["Problem"] & {
            violations: components["schemas"]["Violation"][];
        };
        Violation: {
            /** @description JSON pointer (RFC 6901) to the offending value in the body. */
            pointer: string;
            /** @description What is wrong there. */
            message: string;
        };
        Health: {
            /** @enum {string} */
            status: "ok";
        };
        Readiness: {
            /** @enum {string} */
            status: "ready" | "unavailable";
            /**
             * @description The state of each dependency: `inbox` and `contract`, and `forwarding` (`ok` or
             *     `failing`) when deliveries are forwarded to a broker.
             */
            checks: {
                [key: string]: string;
            };
            /**
             * @description Present when deliveries are forwarded to a message broker. A failing broker does not
             *     make the receiver unready: deliveries are still accepted and stored, and wait in their
             *     lanes until the broker is back. The broker's error is in the log.
             */
            forwarding?: {
                /** @enum {string} */
                broker: "nats" | "rabbitmq";
                /** @enum {string} */
                state: "ok" | "failing";
                /** @description Age of the oldest pending delivery that waits to be forwarded; 0 when none waits. */
                lagSeconds: number;
            };
        };
    };
    responses: {
        /**
         * @description The delivery is stored durably (or was stored before under the same delivery id).
         *     Ada stops retrying it.
         */
        Accepted: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "status": "accepted",
                 *       "id": "msg_2bxE8VNtkWEMpJrMJv74FlSQmqP"
                 *     }
                 */
                "application/json": components["schemas"]["Acknowledgement"];
            };
        };
    };
    parameters: {
        /**
         * @description Delivery id, the same on every retry of one message: the receiver's idempotency key.
         *     Sent as `webhook-id` by unbranded senders.
         * @example msg_2bxE8VNtkWEMpJrMJv74FlSQmqP
         */
        SvixId: string;
        /**
         * @description Unix time in seconds of this delivery attempt (not of the event). Sent as
         *     `webhook-timestamp` by unbranded senders.
         * @example 1767225600
         */
        SvixTimestamp: string;
        /**
         * @description Space-separated signatures, each `v1,<base64 HMAC-SHA256>`. Sent as
         *     `webhook-signature` by unbranded senders.
         * @example v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
         */
        SvixSignature: string;
        /** @description Unbranded name of `svix-id`. */
        WebhookId: string;
        /** @description Unbranded name of `svix-timestamp`. */
        WebhookTimestamp: string;
        /** @description Unbranded name of `svix-signature`. */
        WebhookSignature: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type AdaWebhookDelivery = components['schemas']['AdaWebhookDelivery'];
export type UnknownEvent = components['schemas']['UnknownEvent'];
export type AdaTimestamp = components['schemas']['AdaTimestamp'];
export type Tags = components['schemas']['Tags'];
export type Metadata = components['schemas']['Metadata'];
export type AiAgentDomain = components['schemas']['AiAgentDomain'];
export type ConversationCreatedEvent = components['schemas']['ConversationCreatedEvent'];
export type ConversationCreatedData = components['schemas']['ConversationCreatedData'];
export type ConversationMessageEvent = components['schemas']['ConversationMessageEvent'];
export type ConversationMessageData = components['schemas']['ConversationMessageData'];
export type MessageChannel = components['schemas']['MessageChannel'];
export type ChannelModality = components['schemas']['ChannelModality'];
export type ChannelCapabilities = components['schemas']['ChannelCapabilities'];
export type NativeChannel = components['schemas']['NativeChannel'];
export type CustomChannel = components['schemas']['CustomChannel'];
export type MessageAuthor = components['schemas']['MessageAuthor'];
export type MessageContent = components['schemas']['MessageContent'];
export type TextContent = components['schemas']['TextContent'];
export type LinkContent = components['schemas']['LinkContent'];
export type FileContent = components['schemas']['FileContent'];
export type PresenceContent = components['schemas']['PresenceContent'];
export type ConversationEndedEvent = components['schemas']['ConversationEndedEvent'];
export type ConversationEndedData = components['schemas']['ConversationEndedData'];
export type EndedBy = components['schemas']['EndedBy'];
export type ConversationHandoffEndedEvent = components['schemas']['ConversationHandoffEndedEvent'];
export type ConversationHandoffEndedData = components['schemas']['ConversationHandoffEndedData'];
export type EndUserCreatedEvent = components['schemas']['EndUserCreatedEvent'];
export type EndUserUpdatedEvent = components['schemas']['EndUserUpdatedEvent'];
export type EndUserData = components['schemas']['EndUserData'];
export type EndUserProfile = components['schemas']['EndUserProfile'];
export type EndUserSystemProperties = components['schemas']['EndUserSystemProperties'];
export type AuditLogEmittedEvent = components['schemas']['AuditLogEmittedEvent'];
export type AuditLogEntry = components['schemas']['AuditLogEntry'];
export type Acknowledgement = components['schemas']['Acknowledgement'];
export type Problem = components['schemas']['Problem'];
export type ValidationProblem = components['schemas']['ValidationProblem'];
export type Violation = components['schemas']['Violation'];
export type Health = components['schemas']['Health'];
export type Readiness = components['schemas']['Readiness'];
export type ResponseAccepted = components['responses']['Accepted'];
export type ParameterSvixId = components['parameters']['SvixId'];
export type ParameterSvixTimestamp = components['parameters']['SvixTimestamp'];
export type ParameterSvixSignature = components['parameters']['SvixSignature'];
export type ParameterWebhookId = components['parameters']['WebhookId'];
export type ParameterWebhookTimestamp = components['parameters']['WebhookTimestamp'];
export type ParameterWebhookSignature = components['parameters']['WebhookSignature'];
export type $defs = Record<string, never>;
export interface operations {
    receiveAdaWebhook: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Delivery id, the same on every retry of one message: the receiver's idempotency key.
                 *     Sent as `webhook-id` by unbranded senders.
                 * @example msg_2bxE8VNtkWEMpJrMJv74FlSQmqP
                 */
                "svix-id"?: components["parameters"]["SvixId"];
                /**
                 * @description Unix time in seconds of this delivery attempt (not of the event). Sent as
                 *     `webhook-timestamp` by unbranded senders.
                 * @example 1767225600
                 */
                "svix-timestamp"?: components["parameters"]["SvixTimestamp"];
                /**
                 * @description Space-separated signatures, each `v1,<base64 HMAC-SHA256>`. Sent as
                 *     `webhook-signature` by unbranded senders.
                 * @example v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
                 */
                "svix-signature"?: components["parameters"]["SvixSignature"];
                /** @description Unbranded name of `svix-id`. */
                "webhook-id"?: components["parameters"]["WebhookId"];
                /** @description Unbranded name of `svix-timestamp`. */
                "webhook-timestamp"?: components["parameters"]["WebhookTimestamp"];
                /** @description Unbranded name of `svix-signature`. */
                "webhook-signature"?: components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdaWebhookDelivery"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
            /**
             * @description The body is not well-formed JSON; or the delivery is correctly signed but the inbox
             *     cannot store it on its own merit (its delivery id takes more than 1,024 bytes of
             *     UTF-8), titled `Delivery refused`. Nothing is stored, and the `detail` says why.
             */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Malformed JSON",
                     *       "status": 400,
                     *       "detail": "The request body is not valid JSON."
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /**
             * @description The signature is missing or invalid, its timestamp is outside the tolerance, or
             *     no configured secret matches. Nothing is stored, and the body says nothing more.
             */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Unauthorized",
                     *       "status": 401
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is larger than the receiver's limit (1 MiB unless configured). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Payload Too Large",
                     *       "status": 413,
                     *       "detail": "The request body exceeds the limit of 1048576 bytes."
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Unsupported Media Type",
                     *       "status": 415,
                     *       "detail": "Send the body as application/json."
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /**
             * @description The delivery is correctly signed but violates this contract. It is stored in
             *     quarantine with its violations and can be replayed once the contract is fixed.
             *     (The Prism mock answers with this example; the violations it found are in its
             *     `sl-violations` header.)
             */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Contract violation",
                     *       "status": 422,
                     *       "detail": "The delivery does not match the contract; it was stored in quarantine.",
                     *       "violations": [
                     *         {
                     *           "pointer": "/data/content/body",
                     *           "message": "must have required property 'body'"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /**
             * @description The inbox cannot store the delivery right now. Nothing was acknowledged; Ada
             *     retries later.
             */
            503: {
                headers: {
                    /** @description Seconds after which a retry is worthwhile. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "type": "about:blank",
                     *       "title": "Service Unavailable",
                     *       "status": 503,
                     *       "detail": "The inbox is unavailable; retry later."
                     *     }
                     */
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to accept deliveries. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Not ready; the failing checks say why. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "unavailable",
                     *       "checks": {
                     *         "inbox": "unavailable",
                     *         "contract": "ok"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in the Prometheus text exposition format. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP ada_webhook_deliveries_total Deliveries by outcome and event type.
                     *     # TYPE ada_webhook_deliveries_total counter
                     *     ada_webhook_deliveries_total{outcome="accepted",event_type="v1.conversation.created"} 1
                     */
                    "text/plain": string;
                };
            };
        };
    };
    conversationCreated: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationCreatedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    conversationMessage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationMessageEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    conversationEnded: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationEndedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    conversationHandoffEnded: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationHandoffEndedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    endUserCreated: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EndUserCreatedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    endUserUpdated: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EndUserUpdatedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
    auditLogEmitted: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AuditLogEmittedEvent"];
            };
        };
        responses: {
            200: components["responses"]["Accepted"];
        };
    };
}
