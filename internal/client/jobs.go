package client

import (
	"context"
	"fmt"
	"net/url"

	"github.com/classifyd/classifyd/internal/api"
)

// CreateJob starts a classify job (POST /api/v1/classifier/jobs). A refused
// request is an *api.APIError with StatusCode 422 and the Issues.
func (c *Client) CreateJob(ctx context.Context, req api.CreateJobRequest) (api.ClassifyJob, error) {
	var job api.ClassifyJob
	if err := c.doJSON(ctx, "POST", "/api/v1/classifier/jobs", nil, req, &job); err != nil {
		return job, fmt.Errorf("create job: %w", noRoute(err, api.ErrNoV1))
	}
	return job, nil
}

// GetJob returns a job; errors.Is(err, api.ErrNotFound) when the server
// does not know it.
func (c *Client) GetJob(ctx context.Context, id string) (api.ClassifyJob, error) {
	var job api.ClassifyJob
	if err := c.doJSON(ctx, "GET", "/api/v1/classifier/jobs/"+url.PathEscape(id), nil, nil, &job); err != nil {
		return job, fmt.Errorf("get job %s: %w", id, err)
	}
	return job, nil
}

// ListJobsPage returns one page of jobs.
func (c *Client) ListJobsPage(ctx context.Context, pr api.PageRequest) (api.Page[api.ClassifyJob], error) {
	var page api.Page[api.ClassifyJob]
	if err := c.doJSON(ctx, "GET", "/api/v1/classifier/jobs", pageQuery(pr), nil, &page); err != nil {
		return page, fmt.Errorf("list jobs: %w", err)
	}
	return page, nil
}

// ListJobs calls fn for every job, page by page, stopping at the first
// error fn returns.
func (c *Client) ListJobs(ctx context.Context, fn func(api.ClassifyJob) error) error {
	return each(ctx, c.opts.PageSize, func(pr api.PageRequest) (api.Page[api.ClassifyJob], error) {
		return c.ListJobsPage(ctx, pr)
	}, fn)
}

// ResultsPage returns one page of a job's results.
func (c *Client) ResultsPage(ctx context.Context, jobID string, pr api.PageRequest) (api.Page[api.ResultItem], error) {
	var page api.Page[api.ResultItem]
	if err := c.doJSON(ctx, "GET", "/api/v1/classifier/jobs/"+url.PathEscape(jobID)+"/results", pageQuery(pr), nil, &page); err != nil {
		return page, fmt.Errorf("results of job %s: %w", jobID, err)
	}
	return page, nil
}

// Results calls fn for every result of a job, following next_page_token to
// the end, stopping at the first error fn returns.
func (c *Client) Results(ctx context.Context, jobID string, fn func(api.ResultItem) error) error {
	return each(ctx, c.opts.PageSize, func(pr api.PageRequest) (api.Page[api.ResultItem], error) {
		return c.ResultsPage(ctx, jobID, pr)
	}, fn)
}
