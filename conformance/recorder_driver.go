package conformance

import "github.com/gisiaas/gisiaas/core"

// Wrap returns d with every call observed (placeholder: being written).
func (r *Recorder) Wrap(d core.Driver) core.Driver { return d }
