package classify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/engine"
	"github.com/classifyd/classifyd/internal/extract"
)

// Reading ahead. A file waits in the daemon's batch window (2 s by default)
// before its job exists; a 10-page PDF takes 150-300 ms to read. Prefetch
// reads it during that wait, so the job finds the text ready and a single
// dropped file is filed settle + window after it landed, not a page-reading
// time later. It is a hint: at most one file is read ahead at a time, at
// most prefetchMax documents wait for their job, and Classify reads the file
// itself whenever no matching document is waiting.

const (
	prefetchMax = 16
	// prefetchTTL is how long a document read ahead waits for its job.
	prefetchTTL = time.Minute
)

// prefetchKey names what was read: a file as it was (size and mtime) with
// the options it was read with.
type prefetchKey struct {
	path string
	size int64
	mod  int64
	opts string
}

type prefetched struct {
	done  chan struct{}
	doc   engine.Doc
	err   error
	added time.Time
}

type prefetcher struct {
	mu      sync.Mutex
	entries map[prefetchKey]*prefetched
	busy    bool
	wg      sync.WaitGroup
	ctx     context.Context
	stop    context.CancelFunc
	hits    int64 // documents a job found ready (for tests)
}

func newKey(path string, opts extract.Options) (prefetchKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return prefetchKey{}, err
	}
	if !fi.Mode().IsRegular() {
		return prefetchKey{}, errors.New("not a regular file")
	}
	return prefetchKey{path: path, size: fi.Size(), mod: fi.ModTime().UnixNano(), opts: fmt.Sprintf("%+v", opts)}, nil
}

// Prefetch starts reading the file at path for a job with this mode and
// parsing configuration, unless a file is already being read ahead or
// enough documents wait. It implements api.Prefetcher.
func (p *Classifier) Prefetch(path string, mode api.Mode, pc api.ParsingConfiguration) {
	opts := ExtractOptions(mode, pc)
	key, err := newKey(path, opts)
	if err != nil {
		return
	}
	pf := &p.pf
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.ctx.Err() != nil || pf.busy {
		return
	}
	now := time.Now()
	for k, e := range pf.entries {
		if now.Sub(e.added) > prefetchTTL {
			select {
			case <-e.done:
				delete(pf.entries, k)
			default:
			}
		}
	}
	if _, ok := pf.entries[key]; ok || len(pf.entries) >= prefetchMax {
		return
	}
	e := &prefetched{done: make(chan struct{}), added: now}
	pf.entries[key] = e
	pf.busy = true
	pf.wg.Add(1)
	go func() {
		defer pf.wg.Done()
		e.doc, e.err = p.Doc(pf.ctx, path, opts)
		pf.mu.Lock()
		pf.busy = false
		pf.mu.Unlock()
		close(e.done)
	}()
}

// take returns the document read ahead for path with opts, waiting for it if
// it is still being read; ok is false when there is none (or reading it was
// cut short), and the caller reads the file itself.
func (p *Classifier) take(ctx context.Context, path string, opts extract.Options) (engine.Doc, error, bool) {
	pf := &p.pf
	pf.mu.Lock()
	if len(pf.entries) == 0 {
		pf.mu.Unlock()
		return engine.Doc{}, nil, false
	}
	pf.mu.Unlock()
	key, err := newKey(path, opts)
	if err != nil {
		return engine.Doc{}, nil, false
	}
	pf.mu.Lock()
	e, ok := pf.entries[key]
	delete(pf.entries, key)
	pf.mu.Unlock()
	if !ok {
		return engine.Doc{}, nil, false
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return engine.Doc{}, ctx.Err(), true
	}
	if e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
		return engine.Doc{}, nil, false
	}
	pf.mu.Lock()
	pf.hits++
	pf.mu.Unlock()
	return e.doc, e.err, true
}

// closePrefetch stops reading ahead and waits for the file being read.
func (p *Classifier) closePrefetch() {
	p.pf.stop()
	p.pf.wg.Wait()
	p.pf.mu.Lock()
	clear(p.pf.entries)
	p.pf.mu.Unlock()
}
