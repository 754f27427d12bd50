package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/classifyd/classifyd/internal/api"
)

// Classify v2 (/api/v2/classify): see ../../../shared/reference/classify-api-v2.md.

var _ api.V2Backend = (*Client)(nil)

const v2Path = "/api/v2/classify"

// noRoute turns a 404 of a collection route (a create or a list, which
// name no id) into err: the server does not have that API.
func noRoute(err, sentinel error) error {
	var ae *api.APIError
	if errors.As(err, &ae) && ae.StatusCode == 404 {
		return fmt.Errorf("%w (%s)", sentinel, ae.Detail)
	}
	return err
}

// Classify creates a Classify v2 job (POST /api/v2/classify). With a
// transaction_id, a server that already has a job of that id returns it
// (the new body is ignored), so a create sent again after a crash costs
// nothing. A server without v2 gives an error wrapping api.ErrNoV2.
func (c *Client) Classify(ctx context.Context, req api.V2CreateRequest) (api.V2Job, error) {
	var job api.V2Job
	if err := c.doJSON(ctx, "POST", v2Path, nil, req, &job); err != nil {
		return job, fmt.Errorf("create classify job: %w", noRoute(err, api.ErrNoV2))
	}
	return job, nil
}

// CreateV2Job implements api.V2Backend.
func (c *Client) CreateV2Job(ctx context.Context, req api.V2CreateRequest) (api.V2Job, error) {
	return c.Classify(ctx, req)
}

// GetClassify returns a v2 job with its result (GET /api/v2/classify/{id});
// errors.Is(err, api.ErrNotFound) when the server does not know it.
func (c *Client) GetClassify(ctx context.Context, id string) (api.V2Job, error) {
	var job api.V2Job
	if id == "" {
		return job, errors.New("get classify job: empty id")
	}
	if err := c.doJSON(ctx, "GET", v2Path+"/"+url.PathEscape(id), nil, nil, &job); err != nil {
		return job, fmt.Errorf("get classify job %s: %w", id, err)
	}
	return job, nil
}

// CancelClassify cancels a job that is not finished (POST
// /api/v2/classify/{id}/cancel, no body). A finished job is refused with a 4xx.
func (c *Client) CancelClassify(ctx context.Context, id string) (api.V2Job, error) {
	var job api.V2Job
	if id == "" {
		return job, errors.New("cancel classify job: empty id")
	}
	if err := c.doJSON(ctx, "POST", v2Path+"/"+url.PathEscape(id)+"/cancel", nil, nil, &job); err != nil {
		return job, fmt.Errorf("cancel classify job %s: %w", id, err)
	}
	return job, nil
}

// DeleteClassify deletes a finished job and its result (DELETE
// /api/v2/classify/{id}; in the API after SDK 2.16.1).
func (c *Client) DeleteClassify(ctx context.Context, id string) (api.V2Deleted, error) {
	var out api.V2Deleted
	if id == "" {
		return out, errors.New("delete classify job: empty id")
	}
	if err := c.doJSON(ctx, "DELETE", v2Path+"/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return out, fmt.Errorf("delete classify job %s: %w", id, err)
	}
	return out, nil
}

func v2Query(lr api.V2ListRequest) url.Values {
	q := pageQuery(api.PageRequest{PageSize: lr.PageSize, PageToken: lr.PageToken})
	if lr.Status != "" {
		q.Set("status", string(lr.Status))
	}
	for _, id := range lr.JobIDs {
		q.Add("job_ids", id) // the SDKs' repeat format
	}
	if lr.ConfigurationID != "" {
		q.Set("configuration_id", lr.ConfigurationID)
	}
	if !lr.CreatedAtOnOrAfter.IsZero() {
		q.Set("created_at_on_or_after", lr.CreatedAtOnOrAfter.UTC().Format(time.RFC3339Nano))
	}
	if !lr.CreatedAtOnOrBefore.IsZero() {
		q.Set("created_at_on_or_before", lr.CreatedAtOnOrBefore.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// ListClassifyPage returns one page of v2 jobs (GET /api/v2/classify) with
// the filters of lr.
func (c *Client) ListClassifyPage(ctx context.Context, lr api.V2ListRequest) (api.V2Page, error) {
	var page api.V2Page
	if err := c.doJSON(ctx, "GET", v2Path, v2Query(lr), nil, &page); err != nil {
		return page, fmt.Errorf("list classify jobs: %w", noRoute(err, api.ErrNoV2))
	}
	return page, nil
}

// ListClassify calls fn for every v2 job that matches lr (its PageToken is
// ignored), page by page, stopping at the first error fn returns.
func (c *Client) ListClassify(ctx context.Context, lr api.V2ListRequest, fn func(api.V2Job) error) error {
	if lr.PageSize == 0 {
		lr.PageSize = c.opts.PageSize
	}
	return each(ctx, lr.PageSize, func(pr api.PageRequest) (api.Page[api.V2Job], error) {
		lr.PageToken = pr.PageToken
		p, err := c.ListClassifyPage(ctx, lr)
		if err == nil && len(p.Items) == 0 {
			p.NextPageToken = nil // an empty page ends the listing, as the Go SDK does
		}
		return api.Page[api.V2Job]{Items: p.Items, NextPageToken: p.NextPageToken}, err
	}, fn)
}

// v2IDsPerList is how many job ids one list call asks for (the API's
// largest page).
const v2IDsPerList = 100

// V2Jobs implements api.V2Backend: the jobs among ids the server knows,
// one list call per 100 ids (filter job_ids, page_size 100).
func (c *Client) V2Jobs(ctx context.Context, ids []string) ([]api.V2Job, error) {
	var out []api.V2Job
	for start := 0; start < len(ids); start += v2IDsPerList {
		chunk := ids[start:min(start+v2IDsPerList, len(ids))]
		err := c.ListClassify(ctx, api.V2ListRequest{PageSize: v2IDsPerList, JobIDs: chunk}, func(j api.V2Job) error {
			out = append(out, j)
			if len(out) > len(ids) {
				return fmt.Errorf("list classify jobs: the server answered more jobs than the %d asked for", len(ids))
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
