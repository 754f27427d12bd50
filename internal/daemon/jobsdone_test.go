package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

// finishFirst is a backend whose CreateJob returns only once the job is
// done: its announcement on JobsDone always comes before the daemon has
// recorded the job.
type finishFirst struct{ *local.Backend }

func (b finishFirst) CreateJob(ctx context.Context, req api.CreateJobRequest) (api.ClassifyJob, error) {
	job, err := b.Backend.CreateJob(ctx, req)
	for err == nil && !job.Status.Terminal() {
		time.Sleep(time.Millisecond)
		job, err = b.Backend.GetJob(ctx, job.ID)
	}
	return job, err
}

// TestJobsDone: with polls an hour apart, the files are filed at once only
// because the backend announces its finished jobs on Options.JobsDone,
// whether the announcement comes after the job is recorded or before.
func TestJobsDone(t *testing.T) {
	for _, tt := range []struct {
		name string
		wrap func(*local.Backend) api.Backend
	}{
		{"announced after the job is recorded", func(b *local.Backend) api.Backend { return b }},
		{"announced before the job is recorded", func(b *local.Backend) api.Backend { return finishFirst{b} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.cfg.Poll.MinInterval, e.cfg.Poll.MaxInterval = time.Hour, time.Hour
			for _, n := range []string{"a.txt", "b.txt", "c.txt", "d.txt"} {
				e.write(n, "the apple harvest in the orchard "+n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan string, 16)
			lb, err := local.New(local.Options{Classifier: local.KeywordClassifier{PDFToText: "-"}, Workers: 2,
				OnJobDone: func(j api.ClassifyJob) { done <- j.ID }})
			if err != nil {
				t.Fatal(err)
			}
			go lb.Run(ctx)
			defer lb.Close()
			start := time.Now()
			got, err := e.run(ctx, tt.wrap(lb), func(o *Options) { o.JobsDone = done })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 4 {
				t.Fatalf("filed %d files, want 4", len(got))
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Fatalf("took %v: the finished jobs waited for their scheduled poll", took)
			}
		})
	}
}
