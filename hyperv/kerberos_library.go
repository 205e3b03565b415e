package hyperv

import (
	"sync/atomic"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// libraryKerberos is the WinRM library's Kerberos transport, which sends
// messages unsealed and logs in (a new AS and TGS exchange, and a new
// AP-REQ) on every request: a host with AllowUnencrypted=false refuses it
// over HTTP. It stays until the session transport speaks Kerberos.
type libraryKerberos struct {
	lib      *winrm.ClientKerberos
	requests atomic.Uint64
}

func newLibraryKerberos(c Config) *libraryKerberos {
	proto := "http"
	if c.HTTPS {
		proto = "https"
	}
	return &libraryKerberos{lib: winrm.NewClientKerberos(&winrm.Settings{
		WinRMUsername: c.Username,
		WinRMPassword: c.Password,
		WinRMHost:     c.Host,
		WinRMPort:     c.Port,
		WinRMProto:    proto,
		WinRMInsecure: c.InsecureSkipVerify,
		KrbRealm:      c.Kerberos.Realm,
		KrbConfig:     c.Kerberos.ConfigFile,
		KrbSpn:        c.Kerberos.SPN,
		KrbCCache:     c.Kerberos.CCache,
	})}
}

// Transport implements winrm.Transporter.
func (k *libraryKerberos) Transport(ep *winrm.Endpoint) error { return k.lib.Transport(ep) }

// Post implements winrm.Transporter.
func (k *libraryKerberos) Post(c *winrm.Client, msg *soap.SoapMessage) (string, error) {
	k.requests.Add(1)
	return k.lib.Post(c, msg)
}

// stats counts requests, and one login per request, which is what the
// library does; its connections and KDC exchanges are not observed.
func (k *libraryKerberos) stats() TransportStats {
	n := k.requests.Load()
	return TransportStats{Requests: n, Logins: n}
}

func (k *libraryKerberos) close() {}
