package engine

import (
	"runtime"
	"sync"

	"github.com/classifyd/classifyd/internal/api"
)

// SelfTrainByDefault says whether callers should classify a set of files
// as one batch (the documents weigh each other through the population, as
// a daemon's inbox does over time) when the user did not choose.
const SelfTrainByDefault = true

// ClassifyBatch classifies many documents. With together, they are one
// batch: they join the population at once and beliefs spread between
// them, so the answers do not depend on their order. Without, they are
// classified one after the other in the order given, each joining the
// population before the next (what a daemon does with files arriving one
// by one).
func (e *Engine) ClassifyBatch(docs []Doc, rules []api.Rule, together bool) []Result {
	if together {
		return e.classify(docs, rules)
	}
	out := make([]Result, len(docs))
	for i, d := range docs {
		out[i] = e.classify([]Doc{d}, rules)[0]
	}
	return out
}

// parallel runs fn(0..n-1) on all CPUs.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
