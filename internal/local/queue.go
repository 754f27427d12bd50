package local

import (
	"sync"
)

// task is one file of a job waiting for a worker.
type task struct {
	job    *queuedJob
	index  int
	fileID string
}

// queuedJob holds the files of one job that still need a worker. Memory is
// one small entry per file, never a goroutine per file.
type queuedJob struct {
	rec     jobRec
	fileIDs []string // of the whole job, by index
	todo    []int    // indexes not yet handed out
}

// queue hands out tasks round-robin across jobs, so a 10,000-file job does
// not starve a 2-file job created after it. Workers block in next until a
// task arrives or the queue is closed.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	jobs   []*queuedJob
	closed bool
	queued int
}

func newQueue() *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue) push(j *queuedJob) {
	if len(j.todo) == 0 {
		return
	}
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.queued += len(j.todo)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// next returns the next task; ok is false once the queue is closed.
func (q *queue) next() (t task, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return task{}, false
	}
	j := q.jobs[0]
	i := j.todo[0]
	j.todo = j.todo[1:]
	q.queued--
	q.jobs = q.jobs[1:]
	if len(j.todo) > 0 {
		q.jobs = append(q.jobs, j) // round-robin
	}
	return task{job: j, index: i, fileID: j.fileIDs[i]}, true
}

// nextOfJob hands out up to n more tasks of j (those a worker that took
// one of its files classifies together with it).
func (q *queue) nextOfJob(j *queuedJob, n int) []task {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []task
	for len(out) < n && len(j.todo) > 0 {
		i := j.todo[0]
		j.todo = j.todo[1:]
		q.queued--
		out = append(out, task{job: j, index: i, fileID: j.fileIDs[i]})
	}
	if len(j.todo) == 0 {
		for k, x := range q.jobs {
			if x == j {
				q.jobs = append(q.jobs[:k], q.jobs[k+1:]...)
				break
			}
		}
	}
	return out
}

// len is the number of files waiting.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
