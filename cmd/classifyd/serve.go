package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/pipeline"
	"github.com/classifyd/classifyd/internal/server"
)

const serveHelp = `Usage: classifyd serve --data DIR [flags]

Serves the local engine behind the LlamaCloud classifier API (v1), so that
anything written for LlamaCloud (the official SDKs, curl scripts, another
classifyd with backend llamacloud) can use it by changing the base URL.

Endpoints:
  POST   /api/v1/beta/files                      upload (multipart: file, purpose=classify
                                                 [, external_file_id])
  GET    /api/v1/beta/files                      list (page_size, page_token, file_ids,
                                                 file_name, external_file_id)
  GET    /api/v1/beta/files/{id}                 file metadata
  DELETE /api/v1/beta/files/{id}                 delete a file and its bytes
  GET    /api/v1/beta/files/{id}/content         {url, expires_at}: a signed download link
                                                 (expires_at_seconds, default 3600), valid
                                                 without a key until it expires or a restart
  POST   /api/v1/classifier/jobs                 create a job (JSON: file_ids, rules, mode,
                                                 parsing_configuration, webhook_configurations)
  GET    /api/v1/classifier/jobs                 list jobs, newest first
  GET    /api/v1/classifier/jobs/{id}            job status: PENDING, then SUCCESS,
                                                 PARTIAL_SUCCESS or ERROR
  GET    /api/v1/classifier/jobs/{id}/results    results in file order (page_size default 1000)
  GET    /healthz                                liveness, no key needed
Lists are pages of {items, next_page_token, total_size}: pass next_page_token
back as page_token until it is absent (page_size default 50, at most 1000).
Errors are FastAPI-style: {"detail": "..."}, or for 422 {"detail": [{loc, msg, type}]}.
A file that could not be classified has no result item; the job's
error_message names it.

Auth:
  Clients send "Authorization: Bearer KEY". Keys come from $CLASSIFYD_API_KEY
  (comma-separated) and --api-key-file (one per line, # comments). With no key
  configured the server answers loopback clients only, and refuses to listen
  on a non-loopback address unless --insecure.

Webhooks:
  For each webhook_configurations entry of a job, when the job ends the job's
  JSON is POSTed to webhook_url with webhook_headers, if its event
  (classify.success, classify.partial_success, classify.error) is in
  webhook_events (all when unset). Headers X-Classifyd-Event and
  X-Classifyd-Delivery say which. Failures are retried 4 times with backoff;
  redirects are not followed; a failing webhook never fails the job. Webhook
  hosts that resolve to loopback, link-local or private addresses are refused
  unless --allow-private-webhooks. Deliveries in flight at shutdown are lost.

Persistence:
  DIR/local.db (bbolt) holds files, jobs and results; DIR/files/ holds the
  uploaded bytes. Both survive a restart, and jobs left unfinished are
  finished. One process per DIR: a second one gets a clear error.

Example session:
  export CLASSIFYD_API_KEY=$(head -c 24 /dev/urandom | base64)
  classifyd serve --data /var/lib/classifyd-serve &
  H="Authorization: Bearer $CLASSIFYD_API_KEY"; U=http://127.0.0.1:8080
  curl -sH "$H" -F purpose=classify -F file=@invoice.pdf $U/api/v1/beta/files
      # -> {"id":"0190...","name":"invoice.pdf",...}
  curl -sH "$H" -H 'Content-Type: application/json' $U/api/v1/classifier/jobs \
    -d '{"file_ids":["0190..."],"rules":[{"type":"invoice","description":"a bill with a total due"}]}'
      # -> {"id":"0191...","status":"PENDING",...}
  curl -sH "$H" $U/api/v1/classifier/jobs/0191...            # poll until not PENDING
  curl -sH "$H" $U/api/v1/classifier/jobs/0191.../results    # {"items":[{"file_id":...,"result":{"type":"invoice",...}}]}

  With the SDK: LLAMA_CLOUD_BASE_URL=$U LLAMA_CLOUD_API_KEY=$CLASSIFYD_API_KEY node app.mjs
`

// newClassifier builds the classifier behind serve. The seam lets the
// integrator switch it to the real engine; dataDir may hold its caches.
// It is the embedded engine: text extraction (PDFium cache under dataDir)
// and the zero-shot classifier; rules come with each job.
var newClassifier = func(dataDir string, log *slog.Logger) (local.Classifier, func() error, error) {
	xc := extract.Config{Logger: log, CacheDir: extract.DefaultCacheDir()}
	if xc.CacheDir == "" && dataDir != "" {
		xc.CacheDir = filepath.Join(dataDir, "pdfium-cache")
	}
	ext, err := extract.New(xc)
	if err != nil {
		return nil, nil, err
	}
	p := pipeline.New(pipeline.Options{Extractor: ext, Engine: engine.New(), Logger: log})
	return p, func() error { return errors.Join(p.Close(), ext.Close()) }, nil
}

// Timeouts of the HTTP server; variables so tests can shrink them.
var (
	serveReadHeaderTimeout = 10 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveShutdownTimeout   = 10 * time.Second
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	dataDir := fs.String("data", "", "data directory for local.db and uploaded files (required)")
	keyFile := fs.String("api-key-file", "", "file of accepted API keys, one per line (besides $CLASSIFYD_API_KEY)")
	insecure := fs.Bool("insecure", false, "allow serving a non-loopback address without any API key")
	workers := fs.Int("workers", 0, "files classified at once (default: number of CPUs)")
	allowPrivate := fs.Bool("allow-private-webhooks", false, "let webhooks reach loopback, link-local and private addresses")
	maxUploadMB := fs.Int64("max-upload-mb", server.DefaultMaxBodyBytes>>20, "largest upload in MiB")
	logFormat := fs.String("log-format", "", "log format: text or json (default: text on a terminal, json otherwise)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (default $LOG_LEVEL or info)")
	fs.Usage = func() { printHelp(stderr, serveHelp, fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve takes no arguments (got %q)\n", fs.Args())
		return errExit{2}
	}
	if *dataDir == "" {
		fmt.Fprintln(stderr, "serve: --data DIR is required (it holds the job store and uploaded files)")
		return errExit{2}
	}
	if *maxUploadMB <= 0 {
		fmt.Fprintln(stderr, "serve: --max-upload-mb must be positive")
		return errExit{2}
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	keys, err := apiKeys(os.Getenv("CLASSIFYD_API_KEY"), *keyFile)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close()
	loopback := false
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		loopback = ta.IP.IsLoopback()
	}
	if len(keys) == 0 && !loopback {
		if !*insecure {
			return fmt.Errorf("serve: refusing to listen on %s without an API key: set $CLASSIFYD_API_KEY or --api-key-file, listen on 127.0.0.1, or pass --insecure", ln.Addr())
		}
		log.Warn("serving a non-loopback address without an API key: anyone who can reach it can use it", "addr", ln.Addr().String())
	}

	cl, closeCl, err := newClassifier(*dataDir, log)
	if err != nil {
		return fmt.Errorf("serve: classifier: %w", err)
	}
	defer closeCl()
	var srv *server.Server
	b, err := local.New(local.Options{
		Classifier:     cl,
		DataDir:        *dataDir,
		Workers:        *workers,
		MaxUploadBytes: *maxUploadMB << 20,
		Logger:         log,
		OnJobDone:      func(j api.ClassifyJob) { srv.JobDone(j) },
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv = server.New(server.Options{
		Backend:               b,
		APIKeys:               keys,
		AllowRemoteWithoutKey: *insecure,
		MaxBodyBytes:          *maxUploadMB<<20 + 1<<20, // room for the multipart framing
		AllowPrivateWebhooks:  *allowPrivate,
		Logger:                log,
	})
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		if err != nil {
			hs.Close()
		}
		return err
	})
	log.Info("serving", "addr", ln.Addr().String(), "data", *dataDir, "keys", len(keys), "workers", effectiveWorkers(*workers))
	fmt.Fprintf(stderr, "listening on http://%s\n", ln.Addr())

	err = g.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	err = errors.Join(err, srv.Shutdown(sctx), b.Close())
	log.Info("stopped")
	return err
}

func effectiveWorkers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// apiKeys collects the accepted keys from the environment value
// (comma-separated) and the key file (one per line; blank lines and lines
// starting with # are skipped).
func apiKeys(env, file string) ([]string, error) {
	var keys []string
	for k := range strings.SplitSeq(env, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if file == "" {
		return keys, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("serve: api key file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(os.Stderr, "classifyd: warning: %s is readable by other users (chmod 600 it)\n", file)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keys = append(keys, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serve: api key file: %w", err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("serve: api key file %s holds no key", file)
	}
	return keys, nil
}
