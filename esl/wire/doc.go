// Package wire is the FreeSWITCH Event Socket (ESL) wire codec: it reads and
// writes ESL frames and events on bytes, with no network and no goroutines.
//
// # Frames
//
// An ESL frame is a block of "Name: value" lines ended by an empty line,
// followed by exactly Content-Length bytes of body when that header is
// present. Content-Length counts bytes: the codec frames the stream on bytes
// and never decodes it as text first, so non-UTF-8 payloads pass through
// untouched. Header names are kept verbatim (no MIME canonicalisation, so
// "Unique-ID" stays "Unique-ID"), duplicate headers are kept in order, and
// CRLF line endings are accepted. A [Reader] refuses a frame larger than its
// limit (16 MiB by default, FreeSWITCH's own MAX_CONTENT_LENGTH) with
// [ErrFrameTooLarge] before allocating for it.
//
// # Events
//
// [ParseEvent] turns the body of a text/event-plain, text/event-json or
// text/event-xml frame into an [Event]: its headers in wire order with values
// URL-decoded (plain, xml) or JSON-decoded, and its own body (as carried by
// BACKGROUND_JOB or sendevent). The Append* functions serialise events and
// frames byte-for-byte as FreeSWITCH 1.10 does, which is what the emulator in
// package fsemu relies on.
package wire
