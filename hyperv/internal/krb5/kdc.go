package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// maxKDCReply bounds a reply read over TCP.
const maxKDCReply = 1 << 20

// kdcClient sends requests to a realm's KDCs (RFC 4120 section 7.2) and
// counts them.
type kdcClient struct {
	conf     *config.Config
	timeout  time.Duration
	requests atomic.Uint64
}

// exchange sends req to a KDC of realm and returns the reply. A KRB-ERROR
// reply is returned as a messages.KRBError error. Small requests go over
// UDP first and large ones over TCP first, as krb5.conf's
// udp_preference_limit says; a KDC that does not answer over one is tried
// over the other, then the next KDC. When none answers the error wraps
// ErrKDCUnreachable and names every address tried.
func (k *kdcClient) exchange(ctx context.Context, realm string, req []byte) ([]byte, error) {
	_, kdcs, err := k.conf.GetKDCs(realm, true)
	if err != nil || len(kdcs) == 0 {
		return nil, &Error{Err: ErrKDCUnreachable, Msg: fmt.Sprintf("no KDC of realm %s is known: name one in krb5.conf ([realms] %s = { kdc = host }) or publish _kerberos SRV records (%v)", realm, realm, err)}
	}
	limit := k.conf.LibDefaults.UDPPreferenceLimit
	protos := []string{"udp", "tcp"}
	if limit == 1 || len(req) > limit {
		protos = []string{"tcp", "udp"}
	}
	var tried []string
	for i := 1; i <= len(kdcs); i++ {
		addr := kdcs[i]
		for _, proto := range protos {
			reply, err := k.send(ctx, proto, addr, req)
			if err != nil {
				tried = append(tried, fmt.Sprintf("%s %s: %v", proto, addr, shortNetError(err)))
				if ctx.Err() != nil {
					return nil, fmt.Errorf("no answer from the KDCs of realm %s (tried %s): %w", realm, strings.Join(tried, "; "), ctx.Err())
				}
				continue
			}
			var ke messages.KRBError
			if ke.Unmarshal(reply) == nil {
				if ke.ErrorCode == errorcode.KRB_ERR_RESPONSE_TOO_BIG && proto == "udp" {
					continue
				}
				return nil, ke
			}
			return reply, nil
		}
	}
	return nil, &Error{Err: ErrKDCUnreachable, Msg: fmt.Sprintf("no KDC of realm %s answered (tried %s)", realm, strings.Join(tried, "; "))}
}

// send makes one request to one KDC over proto and reads its reply.
func (k *kdcClient) send(ctx context.Context, proto, addr string, req []byte) ([]byte, error) {
	timeout := k.timeout
	if timeout <= 0 {
		timeout = DefaultKDCTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, proto, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if proto == "udp" {
		if _, err := conn.Write(req); err != nil {
			return nil, err
		}
		k.requests.Add(1)
		buf := make([]byte, 65536)
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	msg := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(msg, uint32(len(req)))
	copy(msg[4:], req)
	if _, err := conn.Write(msg); err != nil {
		return nil, err
	}
	k.requests.Add(1)
	var n [4]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size == 0 || size > maxKDCReply {
		return nil, fmt.Errorf("reply of %d bytes", size)
	}
	reply := make([]byte, size)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return nil, err
	}
	return reply, nil
}

// shortNetError drops the "dial udp 127.0.0.1:88:" prefix the caller
// already names.
func shortNetError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
