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
	"github.com/classifyd/classifyd/internal/classify"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
	"github.com/classifyd/classifyd/internal/httpguard"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

const serveHelp = `Usage: classifyd serve --data DIR [flags]

Serves the local engine behind the LlamaCloud API, Classify v2 and the v1
classifier jobs (the SDKs up to 2.15 and older classifyd speak v1), so that
anything written for LlamaCloud (the official SDKs, curl scripts, another
classifyd with backend llamacloud) can use it by changing the base URL.

Endpoints:
  POST   /api/v1/beta/files                      upload (multipart: file, purpose=classify
                                                 [, external_file_id])
  GET    /api/v1/beta/files                      list (page_size, page_token, file_ids, project_id,
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
  POST   /api/v2/classify                        create a Classify v2 job, one file (JSON:
                                                 file_input, configuration {rules, mode FAST,
                                                 parsing_configuration {lang, max_pages,
                                                 target_pages "1,3,5-7" (1-based)}},
                                                 transaction_id, webhook_configurations).
                                                 Reusing a transaction_id in a project
                                                 returns the original job; the body is ignored.
  GET    /api/v2/classify                        list v2 jobs, newest first (page_size 1-100,
                                                 default 50, page_token, status, job_ids
                                                 (repeated), created_at_on_or_after/_before)
  GET    /api/v2/classify/{id}                   the job: PENDING, RUNNING (its file is being
                                                 read), then COMPLETED (result in the job),
                                                 FAILED (error_message) or CANCELLED
  POST   /api/v2/classify/{id}/cancel            cancel a PENDING or RUNNING job
  DELETE /api/v2/classify/{id}                   delete a finished job
  GET    /healthz                                liveness, no key needed
  GET    /metrics                                Prometheus metrics (classifyd_security_refusals_total:
                                                 refused keys, hosts, origins, webhook targets)
Cancel or delete of a job in the wrong state is a 400 with x-should-retry: false
(never 409, which every SDK retries). v2 limits: rule type 1-50 characters,
description 10-500, max_pages >= 1. Not served: configuration_id presets,
webhook_configuration_ids, parse job ids as file_input. The v2 side of jobs
(transaction ids, cancels) is stored with the job: it outlives a restart,
and a transaction_id is one job per tenant and project.
Lists are pages of {items, next_page_token, total_size}: pass next_page_token
back as page_token until it is absent (page_size default 50; see Limits).
Errors are FastAPI-style: {"detail": "..."}, or for 422 {"detail": [{loc, msg, type}]}.
A file that could not be classified has no result item; the job's
error_message names it.

Auth and tenants:
  Clients send "Authorization: Bearer KEY". Keys come from $CLASSIFYD_API_KEY
  (comma-separated) and --api-key-file (one per line, # comments). A setting
  that holds no key (CLASSIFYD_API_KEY=" , ", an empty key file) is an error.
  With no key configured the server answers loopback clients only, and
  refuses to listen on a non-loopback address unless --insecure.

  Each key is a tenant: it sees and changes only its own files, jobs,
  results and download links; another tenant's ids answer 404, as unknown
  ones do. A key file line may name the tenant (keys with the same tenant
  share everything) and its projects (then project_id must be one of them,
  the first is the default):
      # KEY                              [tenant=NAME] [projects=ID,ID...]
      3q2+7w0...                         tenant=acme projects=invoices,hr
      9f1c0e2...                         tenant=acme
      b7d41aa...

Limits (per tenant unless said):
    quota-mb, quota-files   what a tenant's uploads may hold (413 past it)
    min-free-mb             uploads are refused (507) when the data folder's
                            filesystem has less free
    file-ttl, job-ttl       uploaded files (their expires_at) and finished
                            jobs with their results are deleted this long
                            after upload / end; 0 keeps them
  Lists of files and jobs serve at most 100 items a page (a larger page_size
  is served as 100), results 1000; any page ends early (with a
  next_page_token) rather than pass 4 MiB.

Browsers:
  Requests whose Host is not an IP address, localhost or one of the names
  in --allowed-hosts are refused (403), so a web page cannot reach the server
  through DNS rebinding; put the name clients use (and a TLS reverse proxy
  forwards) there. Uploads, job creation and deletes from another origin
  (a web page's form or fetch) are refused unless --trusted-origins names
  it; job requests must be Content-Type: application/json.

Webhooks:
  For each webhook_configurations entry of a job, when the job ends the job's
  JSON is POSTed to webhook_url with webhook_headers, if its event
  (classify.success, classify.partial_success, classify.error) is in
  webhook_events (all when unset). v2 jobs also send classify.pending,
  classify.running and classify.cancelled; their body is the v2 job, as a JSON
  string by default (webhook_output_format "string") or an object ("json"; the
  default of v1 jobs). With webhook_signing_secret each delivery carries
  LC-Signature: sha256=<hex HMAC-SHA256 of the raw body>. Headers X-Classifyd-Event and
  X-Classifyd-Delivery say which. Failures are retried 4 times with backoff;
  redirects are not followed; a failing webhook never fails the job. Webhook
  hosts that resolve to loopback, link-local or private addresses are refused
  unless --allow-private-webhooks. Deliveries in flight at shutdown are lost.

Persistence:
  DIR/local.db (bbolt) holds files, jobs and results; DIR/files/ holds the
  uploaded bytes. Both survive a restart, and jobs left unfinished are
  finished; uploads and finished jobs expire (--file-ttl, --job-ttl). One
  process per DIR: a second one gets a clear error. Put a TLS reverse proxy
  in front for internet exposure (README, "Security").

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
  # Classify v2: one file per job, the result in the job
  curl -sH "$H" -H 'Content-Type: application/json' $U/api/v2/classify \
    -d '{"file_input":"0190...","transaction_id":"invoice-1","configuration":{"rules":[{"type":"invoice","description":"a bill with a total due"}]}}'
      # -> {"id":"0192...","status":"PENDING",...}; the same transaction_id again -> the same job
  curl -sH "$H" $U/api/v2/classify/0192...                   # {"status":"COMPLETED","result":{"type":"invoice",...}}
  curl -sH "$H" "$U/api/v2/classify?job_ids=0192...&status=COMPLETED"

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
	p := classify.New(classify.Options{Extractor: ext, Engine: engine.New(), Logger: log})
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
	keyFile := fs.String("api-key-file", "", "file of accepted API keys, one per line: KEY [tenant=NAME] [projects=ID,ID] (besides $CLASSIFYD_API_KEY)")
	allowedHosts := fs.String("allowed-hosts", "", "comma-separated host names clients (or a reverse proxy) use to reach the server, besides IP addresses and localhost")
	trustedOrigins := fs.String("trusted-origins", "", "comma-separated web origins (https://app.example.com) allowed to upload, create jobs and delete from a browser")
	quotaMB := fs.Int64("quota-mb", 10240, "MiB of uploads each tenant may hold; 0: no limit")
	quotaFiles := fs.Int64("quota-files", 100000, "uploaded files each tenant may hold; 0: no limit")
	minFreeMB := fs.Int64("min-free-mb", 512, "refuse uploads when the data folder's filesystem has less than this many MiB free; 0: no check")
	fileTTL := fs.Duration("file-ttl", 7*24*time.Hour, "delete uploaded files this long after their upload; 0: keep")
	jobTTL := fs.Duration("job-ttl", 7*24*time.Hour, "delete finished jobs and their results this long after they ended; 0: keep")
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
	if *quotaMB < 0 || *quotaFiles < 0 || *minFreeMB < 0 || *fileTTL < 0 || *jobTTL < 0 {
		fmt.Fprintln(stderr, "serve: --quota-mb, --quota-files, --min-free-mb, --file-ttl and --job-ttl must not be negative")
		return errExit{2}
	}
	guard, err := httpguard.New(splitList(*allowedHosts), splitList(*trustedOrigins))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
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
		Quota:          local.Quota{Bytes: *quotaMB << 20, Files: *quotaFiles, MinFreeBytes: *minFreeMB << 20},
		FileTTL:        *fileTTL,
		JobTTL:         *jobTTL,
		Logger:         log,
		OnJobDone:      func(j api.ClassifyJob) { srv.JobDone(j) },
		OnFileStart:    func(id string) { srv.FileStarted(id) },
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv = server.New(server.Options{
		Backend:               b,
		Keys:                  keys,
		Guard:                 guard,
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
	log.Info("serving", "addr", ln.Addr().String(), "data", *dataDir, "keys", len(keys), "workers", effectiveWorkers(*workers),
		"quota_mb", *quotaMB, "quota_files", *quotaFiles, "file_ttl", fileTTL.String(), "job_ttl", jobTTL.String())
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
// (comma-separated, each a tenant of its own) and the key file (one per
// line: KEY [tenant=NAME] [projects=ID,ID...]; blank lines and lines
// starting with # are skipped). A setting given that holds no key is an
// error: it must never mean "no auth".
func apiKeys(env, file string) ([]server.Key, error) {
	var keys []server.Key
	for k := range strings.SplitSeq(env, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, server.Key{Key: k})
		}
	}
	if env != "" && len(keys) == 0 {
		return nil, fmt.Errorf("serve: $CLASSIFYD_API_KEY is set but holds no key (%q); unset it to serve loopback clients without a key", env)
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
	n, line := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		k := server.Key{Key: fields[0]}
		for _, f := range fields[1:] {
			name, val, _ := strings.Cut(f, "=")
			switch {
			case name == "tenant" && val != "":
				k.Tenant = val
			case name == "projects" && val != "":
				k.Projects = splitList(val)
			default:
				return nil, fmt.Errorf("serve: api key file %s:%d: %q: want tenant=NAME or projects=ID,ID", file, line, f)
			}
		}
		keys = append(keys, k)
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serve: api key file: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("serve: api key file %s holds no key", file)
	}
	return keys, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
