package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Identifiers of what every sandbox contains from its first start.
const (
	DefaultApplicationID = "app_demo"
	DefaultRootAccountID = "acc_root"
)

// Defaults for zero Options fields.
const (
	DefaultAddr         = "127.0.0.1:0"
	DefaultDB           = ":memory:"
	DefaultClientID     = "dev-admin"
	DefaultClientSecret = "dev-secret"
	DefaultUsername     = "dev-user"
	DefaultPassword     = "dev-password"
	DefaultAudience     = "https://api.inbox-manager.com"
	DefaultTokenTTL     = time.Hour
	DefaultRefreshTTL   = 72 * time.Hour
)

// Options configure a sandbox server. Zero fields take the Default* constants.
type Options struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port.
	Addr string
	// DB is the SQLite file path, or ":memory:" for a database that lives as long as the server.
	DB string
	// ClientID and ClientSecret are the one confidential OAuth client the token endpoint knows.
	ClientID, ClientSecret string
	// Username and Password are the identity of the password grant (not an application user).
	Username, Password string
	// Audience is the audience tokens are issued for and the admin API accepts.
	Audience string
	// TokenTTL and RefreshTTL are the lifetimes of access and refresh tokens.
	TokenTTL, RefreshTTL time.Duration
	// Latency delays every admin-API answer (not the token and revoke endpoints).
	Latency time.Duration
	// FailRate is the fraction of admin-API requests answered 503 before any effect.
	FailRate float64
	// RateLimit is the admin-API requests a second the server accepts; past it, 429. 0 = no limit.
	RateLimit float64
	// AutoVerify makes new app clients "verified" at once instead of "pending_verification".
	AutoVerify bool
	// Logger receives request logs (method, path, status, duration; never a header or a body).
	// Nil discards.
	Logger *slog.Logger
	// DropResponse, when set, is asked for every admin-API request after it has been carried out;
	// returning true closes the connection without sending the response (a response lost after
	// the server committed), so clients' retry logic can be tested. Test-only hook.
	DropResponse func(r *http.Request) bool
}

func (o *Options) fillDefaults() {
	setDefault(&o.Addr, DefaultAddr)
	setDefault(&o.DB, DefaultDB)
	setDefault(&o.ClientID, DefaultClientID)
	setDefault(&o.ClientSecret, DefaultClientSecret)
	setDefault(&o.Username, DefaultUsername)
	setDefault(&o.Password, DefaultPassword)
	setDefault(&o.Audience, DefaultAudience)
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// Stats are counters since the server started.
type Stats struct {
	// TokenRequests and RevokeRequests count requests to the token and revoke endpoints.
	TokenRequests, RevokeRequests int64
	// APIRequests counts admin-API requests, including those refused by fault injection.
	APIRequests int64
	// APIByMethod counts admin-API requests by HTTP method.
	APIByMethod map[string]int64
	// Faults503 and Faults429 count requests refused by the fail rate and by the rate limit.
	Faults503, Faults429 int64
}

// Server is a running sandbox. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	db      *sql.DB
	stmts   *stmtCache // prepared statements, for rd and write transactions
	rd      reader     // reads outside a transaction
	access  accessCache
	writeMu sync.Mutex // serializes write transactions, so SQLITE_BUSY never reaches a client
	commits atomic.Int64
	// ckptStop stops the checkpointer; ckptDone is closed once it has stopped (at once for an
	// in-memory database, which has no WAL).
	ckptStop, ckptDone chan struct{}
	listener           net.Listener
	http               *http.Server
	serveErr           chan error
	url                string

	clientIDHash, clientSecretHash [32]byte
	usernameHash, passwordHash     [32]byte

	latency  atomic.Int64                // time.Duration
	failRate atomic.Uint64               // math.Float64bits
	limiter  atomic.Pointer[rateLimiter] // nil = no limit
	closed   atomic.Bool

	tokenRequests, revokeRequests, apiRequests, faults503, faults429 atomic.Int64
	byMethodMu                                                       sync.Mutex
	byMethod                                                         map[string]int64
}

type rateLimiter struct {
	perSecond float64
	lim       *rate.Limiter
}

// Start opens the database (creating the schema, app_demo and acc_root when missing), listens on
// opts.Addr and serves in the background until Close. ctx bounds the start only.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.fillDefaults()
	if opts.FailRate < 0 || opts.FailRate > 1 {
		return nil, fmt.Errorf("sandbox: fail rate %v is not between 0 and 1", opts.FailRate)
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("sandbox: rate limit %v is negative", opts.RateLimit)
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("sandbox: latency %v is negative", opts.Latency)
	}
	s := &Server{
		log:      opts.Logger,
		byMethod: map[string]int64{},
		serveErr: make(chan error, 1),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.clientIDHash = sha256.Sum256([]byte(opts.ClientID))
	s.clientSecretHash = sha256.Sum256([]byte(opts.ClientSecret))
	s.usernameHash = sha256.Sum256([]byte(opts.Username))
	s.passwordHash = sha256.Sum256([]byte(opts.Password))
	// Only the hashes are kept.
	opts.ClientSecret, opts.Password = "", ""
	s.opts = opts
	s.SetLatency(opts.Latency)
	s.SetFailRate(opts.FailRate)
	s.SetRateLimit(opts.RateLimit)

	db, err := openDB(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	s.db = db
	s.ckptStop, s.ckptDone = make(chan struct{}), make(chan struct{})
	if opts.DB == ":memory:" {
		close(s.ckptDone)
	} else {
		go s.checkpointer()
	}
	s.stmts = newStmtCache(db)
	s.rd = reader{s.stmts}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		close(s.ckptStop)
		<-s.ckptDone
		s.stmts.close()
		db.Close()
		return nil, fmt.Errorf("sandbox: listen on %s: %w", opts.Addr, err)
	}
	s.listener = ln
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
	s.log.Info("sandbox listening", "url", s.url, "db", opts.DB)
	return s, nil
}

// URL is the base URL of the admin API, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// TokenURL is the URL of the OAuth 2.0 token endpoint.
func (s *Server) TokenURL() string { return s.url + "/oauth2/token" }

// RevokeURL is the URL of the RFC 7009 revocation endpoint.
func (s *Server) RevokeURL() string { return s.url + "/oauth2/revoke" }

// Close shuts the server down gracefully (in-flight requests finish, for up to 10 seconds) and
// closes the database. Calling it again does nothing.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sandbox: shutdown: %w", err))
		s.http.Close()
	}
	if err := <-s.serveErr; err != nil {
		errs = append(errs, fmt.Errorf("sandbox: serve: %w", err))
	}
	close(s.ckptStop)
	<-s.ckptDone
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.stmts.close()
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sandbox: close db: %w", err))
	}
	s.log.Info("sandbox stopped")
	return errors.Join(errs...)
}

// SetLatency changes the delay of every admin-API answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(max(d, 0))) }

// SetFailRate changes the fraction of admin-API requests answered 503 (clamped to 0..1).
func (s *Server) SetFailRate(f float64) {
	s.failRate.Store(math.Float64bits(min(max(f, 0), 1)))
}

// SetRateLimit changes the admin-API requests a second the server accepts; 0 removes the limit.
// The bucket holds one second's worth of requests (at least one).
func (s *Server) SetRateLimit(perSecond float64) {
	if perSecond <= 0 {
		s.limiter.Store(nil)
		return
	}
	burst := max(1, int(math.Ceil(perSecond)))
	s.limiter.Store(&rateLimiter{perSecond: perSecond, lim: rate.NewLimiter(rate.Limit(perSecond), burst)})
}

// Stats returns the counters since start.
func (s *Server) Stats() Stats {
	s.byMethodMu.Lock()
	m := make(map[string]int64, len(s.byMethod))
	for k, v := range s.byMethod {
		m[k] = v
	}
	s.byMethodMu.Unlock()
	return Stats{
		TokenRequests:  s.tokenRequests.Load(),
		RevokeRequests: s.revokeRequests.Load(),
		APIRequests:    s.apiRequests.Load(),
		APIByMethod:    m,
		Faults503:      s.faults503.Load(),
		Faults429:      s.faults429.Load(),
	}
}
