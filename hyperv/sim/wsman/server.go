package wsman

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/internal/wsmv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman/ntlm"
)

// Action is what an Intercept hook asks the server to do with one request.
type Action struct {
	Delay  time.Duration // answer late (slow host), honouring request cancellation
	Drop   bool          // hijack the connection and close it without any response (connection dropped)
	Status int           // if non-zero, answer with this bare HTTP status and no body (e.g. 503)
}

// Defaults of Config, as a Windows Server WinRM service has them.
const (
	DefaultMaxCommandLine   = 8191          // cmd.exe's limit
	DefaultMaxEnvelopeSize  = 500 * 1024    // MaxEnvelopeSizekb=500
	DefaultMaxShellsPerUser = 30            // winrs MaxShellsPerUser
	DefaultIdleTimeout      = 2 * time.Hour // winrs IdleTimeout PT7200S
	DefaultOperationTimeout = time.Minute   // MaxTimeoutms=60000, used when a request has no w:OperationTimeout
)

// Config configures a Server.
type Config struct {
	Auth                Auth                                          // who may log on, and how; Auth.Accounts is required
	Runner              Runner                                        // required
	Intercept           func(op Op, shellID, commandID string) Action // optional fault hook, called after auth and parsing
	MaxCommandLine      int                                           // characters; default 8191 (cmd.exe limit)
	MaxEnvelopeSize     int                                           // bytes; default 512000 (MaxEnvelopeSizekb=500)
	MaxShellsPerUser    int                                           // default 30
	MaxOperationTimeout time.Duration                                 // caps the client's OperationTimeout; 0 = no cap
	IdleTimeout         time.Duration                                 // shells without requests for this long are deleted; default 2h
	Logger              *slog.Logger                                  // nil = discard
	MachineName         string                                        // reported in faults' Machine attribute and named by NTLM; default the host name
	// Administrators are the users (as they log on, case-insensitive)
	// who see and may delete every user's shells, as members of the
	// host's Administrators group do; any other user sees only their own.
	Administrators []string
}

// Server is a WS-Management remote-shell endpoint. It is an http.Handler for
// the /wsman path and is safe for concurrent use. The http.Server in front
// of it must set ConnContext (see ConnContext) for Negotiate and Kerberos
// logins, which live on their connection.
type Server struct {
	cfg         Config
	auth        *Auth
	ntlm        *ntlm.Server
	tlsBindings []byte // of Auth.Certificate, for NTLM channel bindings
	log         *slog.Logger
	ctx         context.Context // cancelled by Close
	cancel      context.CancelFunc
	wg          sync.WaitGroup // running commands and reapers

	mu     sync.Mutex
	closed bool
	shells map[string]*shell
	pids   int                     // shell host processes started
	enums  map[string]*enumeration // open enumerations by context
}

var _ http.Handler = (*Server)(nil)

// NewServer validates cfg, fills in defaults and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	var errs []error
	if err := cfg.Auth.check(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Runner == nil {
		errs = append(errs, errors.New("runner is required"))
	}
	for _, f := range []struct {
		name  string
		value int64
	}{
		{"max command line", int64(cfg.MaxCommandLine)},
		{"max envelope size", int64(cfg.MaxEnvelopeSize)},
		{"max shells per user", int64(cfg.MaxShellsPerUser)},
		{"max operation timeout", int64(cfg.MaxOperationTimeout)},
		{"idle timeout", int64(cfg.IdleTimeout)},
	} {
		if f.value < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", f.name, f.value))
		}
	}
	if cfg.MaxEnvelopeSize > 0 && cfg.MaxEnvelopeSize < minEnvelopeSize {
		errs = append(errs, fmt.Errorf("max envelope size %d is below %d", cfg.MaxEnvelopeSize, minEnvelopeSize))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new wsman server: %w", err)
	}
	cfg.MaxCommandLine = orDefault(cfg.MaxCommandLine, DefaultMaxCommandLine)
	cfg.MaxEnvelopeSize = orDefault(cfg.MaxEnvelopeSize, DefaultMaxEnvelopeSize)
	cfg.MaxShellsPerUser = orDefault(cfg.MaxShellsPerUser, DefaultMaxShellsPerUser)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	if cfg.MachineName == "" {
		cfg.MachineName, _ = os.Hostname()
		cfg.MachineName = orDefault(cfg.MachineName, "localhost")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	nt, err := ntlm.NewServer(ntlm.Config{Computer: cfg.MachineName, Domain: cfg.Auth.Domain, Password: cfg.Auth.Accounts.Password})
	if err != nil {
		return nil, fmt.Errorf("new wsman server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg,
		ntlm:   nt,
		log:    log.With("component", "wsman"),
		ctx:    ctx,
		cancel: cancel,
		shells: make(map[string]*shell),
		enums:  make(map[string]*enumeration),
	}
	s.auth = &s.cfg.Auth
	if cfg.Auth.Certificate != nil {
		s.tlsBindings = wsmv.TLSServerEndPoint(cfg.Auth.Certificate)
	}
	return s, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ShellCount returns the number of open shells.
func (s *Server) ShellCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shells)
}

// Close cancels every running command, deletes all shells and waits for the
// Runners to return. Later requests are answered 503. Close is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	shells := s.shells
	s.shells = make(map[string]*shell)
	s.closed = true
	s.mu.Unlock()
	for _, sh := range shells {
		s.dropShell(sh)
	}
	s.cancel()
	s.wg.Wait()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Microsoft-HTTPAPI/2.0")
	if p := strings.TrimSuffix(r.URL.Path, "/"); !strings.EqualFold(p, "/wsman") {
		bare(w, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		bare(w, http.StatusMethodNotAllowed)
		return
	}
	if s.isClosed() {
		bare(w, http.StatusServiceUnavailable)
		return
	}
	data, ok := s.readBody(w, r)
	if !ok {
		return
	}
	cs := connOf(r)
	lg := s.authenticate(w, r, cs)
	if lg == nil {
		return
	}
	if lg.reply != "" {
		w.Header().Set("WWW-Authenticate", lg.reply)
	}
	rp := &responder{w: w, log: s.log}
	if data, ok = s.openBody(rp, r, cs, lg, data); !ok {
		return
	}
	req, flt := parseRequest(data)
	if flt != nil {
		s.log.Debug("wsman bad request", "user", lg.user, "action", req.action, "fault", flt.subcode)
		s.writeFault(rp, req.messageID, flt)
		return
	}
	cmdID := req.commandID()
	if s.cfg.Intercept != nil {
		if !s.intercept(w, r, s.cfg.Intercept(req.op, req.shellID, cmdID)) {
			return
		}
	}
	s.log.Debug("wsman request", "op", req.op, "user", lg.user, "shell_id", req.shellID, "command_id", cmdID, "sealed", rp.seal != nil)
	x := &exchange{r: r, req: req, user: lg.user, utf16: rp.utf16}
	body, flt := s.dispatch(x)
	switch {
	case x.aborted:
		return
	case flt != nil:
		s.log.Debug("wsman fault", "op", req.op, "shell_id", req.shellID, "command_id", cmdID, "code", flt.wsman)
		s.writeFault(rp, req.messageID, flt)
	case x.unavailable:
		bare(w, http.StatusServiceUnavailable)
	default:
		rp.envelope(http.StatusOK, envelope(req.response, req.messageID, body))
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// intercept applies a hook's Action and reports whether to go on.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request, a Action) bool {
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch {
	case a.Drop:
		s.log.Debug("wsman dropping connection")
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return false
			}
		}
		// HTTP/2 cannot be hijacked; this resets the stream instead.
		panic(http.ErrAbortHandler)
	case a.Status != 0:
		bare(w, a.Status)
		return false
	}
	return true
}

// requestCharset checks a request Content-Type and reports whether the body
// is UTF-16.
func requestCharset(contentType string) (utf16, ok bool) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil || media != "application/soap+xml" {
		return false, false
	}
	switch strings.ToLower(params["charset"]) {
	case "", "utf-8":
		return false, true
	case "utf-16":
		return true, true
	}
	return false, false
}

// bare answers with a status and no body.
func bare(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// writeFault answers with a fault envelope and HTTP 500.
func (s *Server) writeFault(rp *responder, relatesTo string, f *fault) {
	rp.envelope(http.StatusInternalServerError, f.render(relatesTo, s.cfg.MachineName))
}
