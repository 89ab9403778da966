// Package sim is a simulated cloud: the reference driver of gisiaas and what
// `make run` serves. It is not a stub. It keeps real state (servers, volumes,
// networks, …), walks resources through the normalized states with
// configurable latencies, emits a lifecycle event for every transition, and
// enforces what a real cloud enforces: quotas, attachment rules, protected
// images, flavors in use, rule validity, live-migration hosts.
//
// Several datacenters come from one Config, each with several hosts. Fault
// knobs inject errors and latency per operation, or take a datacenter down;
// a Seed makes ids and faults reproducible; StatePath keeps the cloud across
// restarts (pending transitions resume).
//
//	d, err := sim.New(sim.DefaultConfig())
//	if err != nil { … }
//	defer d.Close()
//	s, err := d.CreateServer(ctx, core.ServerCreate{
//		CreateMeta: core.CreateMeta{ProjectID: "p1", DatacenterID: "dc1"},
//		Name:       "gis-1", FlavorID: "m1.small", ImageID: imageID,
//	})
//	// s.Status is BUILD; a few hundred milliseconds later GetServer says ACTIVE,
//	// and Watch has delivered both events.
//
// Tests use TestConfig (instant transitions, fixed seed) or a ManualClock to
// step through latencies without sleeping.
package sim
