// Package logins stands in front of every WinRM client of the daemon so
// that a wrong password never locks its service account out. A host that
// refuses a login is tried again later and later (exponential backoff with
// jitter, up to a cap); a credential refused a few times in a row across
// the fleet is not used at all any more, on any host, until its password
// file or keytab changes or a reload changes the settings of the hosts
// that use it. While a credential has not proven itself, only as many logins
// run at once as it may still fail. The package decides when a call may
// go out; it never retries a call itself and never reads or logs a
// password beyond handing it to the client it builds.
package logins
