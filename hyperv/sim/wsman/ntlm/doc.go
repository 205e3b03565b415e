// Package ntlm is the accepting (server) side of NTLM as MS-NLMP describes
// it, for a simulated Windows service: it reads NEGOTIATE_MESSAGE, answers
// with a CHALLENGE_MESSAGE, verifies the client's AUTHENTICATE_MESSAGE
// (NTLMv2 only, with its MIC and channel bindings) and derives the session's
// signing and sealing keys, so messages can be sealed and opened as Windows
// does (MS-NLMP 3.4, RC4 with HMAC-MD5 signatures and sequence numbers).
//
// Passwords come from a callback and are used only to compute the expected
// response; this package never stores, logs or returns them. It does not do
// NTLMv1, LM, anonymous or connectionless (datagram) NTLM: such clients are
// refused.
package ntlm
