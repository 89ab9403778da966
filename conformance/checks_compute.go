package conformance

import (
	"context"
	"fmt"

	"github.com/gisiaas/gisiaas/core"
)

// Checks of servers (B.2.1) and quotas (B.1.3). Servers come from the
// fixtures (newServer): the smallest flavor an image fits, on a private
// network of the run's datacenter, deleted and waited for after the check.

// unrelatedProject is a project the run never creates in: a list filtered on it
// must not show the run's resources.
func unrelatedProject(e *Env) string { return "conformance-other-" + e.RunID[:12] }

// Unsupported probes: each calls its clause's operation with ids that do
// not exist, so a target that does support it changes nothing.
func probeCreateServer(ctx context.Context, e *Env) error {
	_, err := e.Driver.CreateServer(ctx, core.ServerCreate{CreateMeta: e.Meta(), Name: e.Name("probe"), FlavorID: noSuch, ImageID: noSuch})
	return err
}
func probeDeleteServer(ctx context.Context, e *Env) error { return e.Driver.DeleteServer(ctx, noSuch) }
func probeGetServer(ctx context.Context, e *Env) error {
	_, err := e.Driver.GetServer(ctx, noSuch)
	return err
}
func probeUpdateServer(ctx context.Context, e *Env) error {
	name := "probe"
	_, err := e.Driver.UpdateServer(ctx, noSuch, core.ServerUpdate{Name: &name})
	return err
}
func probeStartServer(ctx context.Context, e *Env) error { return e.Driver.StartServer(ctx, noSuch) }
func probeStopServer(ctx context.Context, e *Env) error  { return e.Driver.StopServer(ctx, noSuch) }
func probeRebootServer(ctx context.Context, e *Env) error {
	return e.Driver.RebootServer(ctx, noSuch, core.RebootSoft)
}
func probeListServers(ctx context.Context, e *Env) error {
	_, err := e.Driver.ListServers(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	return err
}
func probeLiveMigrate(ctx context.Context, e *Env) error {
	return e.Driver.LiveMigrateServer(ctx, noSuch, noSuch)
}
func probeResize(ctx context.Context, e *Env) error {
	return e.Driver.ResizeServer(ctx, noSuch, noSuch)
}
func probeComputeQuota(ctx context.Context, e *Env) error {
	_, err := e.Driver.GetComputeQuota(ctx, e.Datacenter, e.Project)
	return err
}
func probeVolumeQuota(ctx context.Context, e *Env) error {
	_, err := e.Driver.GetVolumeQuota(ctx, e.Datacenter, e.Project)
	return err
}

// wantServerFields checks what every answer about the run's server s,
// created as req, must carry (B.2.1.3).
func wantServerFields(e *Env, what string, s core.Server, req core.ServerCreate) error {
	if s.ID == "" {
		return Failf("%s: id is missing", what)
	}
	if s.Name != req.Name {
		return Failf("%s: name %q, want %q", what, s.Name, req.Name)
	}
	if s.FlavorID != req.FlavorID {
		return Failf("%s: flavor_id %q, want %q", what, s.FlavorID, req.FlavorID)
	}
	if s.ImageID != req.ImageID {
		return Failf("%s: image_id %q, want %q", what, s.ImageID, req.ImageID)
	}
	if !knownServerStatus(s.Status) {
		return Failf("%s: status %q is not a normalized server state", what, s.Status)
	}
	return wantRunMeta(e, what, s.Meta)
}

func knownServerStatus(st core.ServerStatus) bool {
	for _, k := range core.ServerStates {
		if st == k {
			return true
		}
	}
	return false
}

// wantServerEvent checks the event of s reaching state to carries what
// billing rates a server by: its flavor's id, vCPUs and memory. A target
// that cannot replay events is not judged on them (see watchFor).
func wantServerEvent(ctx context.Context, e *Env, s core.Server, f core.Flavor, what string, match func(core.Event) bool) error {
	ev, ok, err := watchFor(ctx, e, what, func(x core.Event) bool {
		return x.ResourceType == core.TypeServer && x.ResourceID == s.ID && match(x)
	})
	if err != nil || !ok {
		return err
	}
	a := ev.Attributes
	if a.FlavorID != f.ID || a.VCPUs != f.VCPUs || a.MemoryMB != f.MemoryMB {
		return Failf("event of %s: attributes flavor_id %q, vcpus %d, memory_mb %d; want %q, %d, %d",
			what, a.FlavorID, a.VCPUs, a.MemoryMB, f.ID, f.VCPUs, f.MemoryMB)
	}
	if ev.ProjectID != e.Project || ev.DatacenterID != e.Datacenter {
		return Failf("event of %s: project %q, datacenter %q; want %q, %q", what, ev.ProjectID, ev.DatacenterID, e.Project, e.Datacenter)
	}
	return nil
}

// refusedCreateLeftNothing checks that a refused create made no server of
// that name in the run's project.
func refusedCreateLeftNothing(ctx context.Context, e *Env, name string) error {
	ss, err := e.Driver.ListServers(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
	if err != nil {
		return fmt.Errorf("ListServers: %w", err)
	}
	for _, s := range ss {
		if s.Name == name {
			// Clean up what the refusal left, then fail for it.
			e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
			return Failf("a refused create left server %s (%s)", s.ID, s.Status)
		}
	}
	return nil
}

func init() {
	register(
		// B.2.1.1 Create server.
		Check{Clause: core.ClauseServerCreate, Name: "create", Needs: core.ClauseServerCreate, Unsupported: probeCreateServer,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				req := serverRequest(e, b)
				s, err := startServer(ctx, e, req)
				if err != nil {
					return err
				}
				// An accepted create answers at once, before the boot ends.
				if s.Status != core.ServerBuild && s.Status != core.ServerActive {
					return Failf("CreateServer answered status %s, want BUILD or ACTIVE", s.Status)
				}
				if err := wantServerFields(e, "CreateServer", s, req); err != nil {
					return err
				}
				s, err = waitServer(ctx, e, s.ID, core.ServerActive)
				if err != nil {
					return err
				}
				if err := wantServerFields(e, "GetServer", s, req); err != nil {
					return err
				}
				if err := wantPrivateAddress(s, b.Network); err != nil {
					return err
				}
				return wantServerEvent(ctx, e, s, b.Flavor, "server "+s.ID+" to ACTIVE", func(x core.Event) bool {
					return x.ToState == string(core.ServerActive)
				})
			}},
		Check{Clause: core.ClauseServerCreate, Name: "unknown flavor is invalid", Needs: core.ClauseServerCreate, Unsupported: probeCreateServer,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				req := serverRequest(e, b)
				req.FlavorID = noSuch
				s, err := e.Driver.CreateServer(ctx, req)
				if err == nil && s.ID != "" {
					e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
				}
				// A body's reference to nothing is a bad argument, not a
				// missing path (docs/decisions.md, as Nova's flavorRef).
				if err := WantKind("CreateServer with an unknown flavor", err, core.InvalidArgument); err != nil {
					return err
				}
				return refusedCreateLeftNothing(ctx, e, req.Name)
			}},
		Check{Clause: core.ClauseServerCreate, Name: "unknown image is invalid", Needs: core.ClauseServerCreate, Unsupported: probeCreateServer,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				req := serverRequest(e, b)
				req.ImageID = noSuch
				s, err := e.Driver.CreateServer(ctx, req)
				if err == nil && s.ID != "" {
					e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
				}
				if err := WantKind("CreateServer with an unknown image", err, core.InvalidArgument); err != nil {
					return err
				}
				return refusedCreateLeftNothing(ctx, e, req.Name)
			}},
		Check{Clause: core.ClauseServerCreate, Name: "missing name is invalid", Needs: core.ClauseServerCreate, Unsupported: probeCreateServer,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				req := serverRequest(e, b)
				req.Name = ""
				s, err := e.Driver.CreateServer(ctx, req)
				if err == nil && s.ID != "" {
					e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
				}
				return WantKind("CreateServer without a name", err, core.InvalidArgument)
			}},
		Check{Clause: core.ClauseServerCreate, Name: "quota exceeded", Needs: core.ClauseServerCreate, Unsupported: probeCreateServer,
			Run: checkServerQuotaExceeded},

		// B.2.1.2 Delete server.
		Check{Clause: core.ClauseServerDelete, Name: "delete", Needs: core.ClauseServerDelete, Unsupported: probeDeleteServer,
			Run: func(ctx context.Context, e *Env) error {
				s, b, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				if err := e.Driver.DeleteServer(ctx, s.ID); err != nil {
					return fmt.Errorf("DeleteServer: %w", err)
				}
				if err := waitGone(ctx, e, "server "+s.ID, func(ctx context.Context) error {
					_, err := e.Driver.GetServer(ctx, s.ID)
					return err
				}); err != nil {
					return err
				}
				ss, err := e.Driver.ListServers(ctx, core.ListOptions{ProjectID: e.Project, DatacenterID: e.Datacenter})
				if err != nil {
					return fmt.Errorf("ListServers: %w", err)
				}
				for _, x := range ss {
					if x.ID == s.ID && x.Status != core.ServerDeleted {
						return Failf("deleted server %s is still listed, %s", s.ID, x.Status)
					}
				}
				// Billing stops metering at the server's last event.
				return wantServerEvent(ctx, e, s, b.Flavor, "server "+s.ID+" to DELETED", func(x core.Event) bool {
					return x.ToState == core.StateDeleted
				})
			}},
		Check{Clause: core.ClauseServerDelete, Name: "unknown is not found", Needs: core.ClauseServerDelete, Unsupported: probeDeleteServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("DeleteServer of an unknown id", e.Driver.DeleteServer(ctx, noSuch), core.NotFound)
			}},

		// B.2.1.3 Show server.
		Check{Clause: core.ClauseServerShow, Name: "show", Needs: core.ClauseServerShow, Unsupported: probeGetServer,
			Run: func(ctx context.Context, e *Env) error {
				var req core.ServerCreate
				s, b, err := newServer(ctx, e, nil, func(r *core.ServerCreate) { req = *r })
				if err != nil {
					return err
				}
				got, err := e.Driver.GetServer(ctx, s.ID)
				if err != nil {
					return fmt.Errorf("GetServer: %w", err)
				}
				if err := wantServerFields(e, "GetServer", got, req); err != nil {
					return err
				}
				if got.Status != core.ServerActive {
					return Failf("GetServer: status %s, want ACTIVE", got.Status)
				}
				return wantPrivateAddress(got, b.Network)
			}},
		Check{Clause: core.ClauseServerShow, Name: "unknown is not found", Needs: core.ClauseServerShow, Unsupported: probeGetServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("GetServer of an unknown id", probeGetServer(ctx, e), core.NotFound)
			}},

		// B.2.1.4 Update server.
		Check{Clause: core.ClauseServerUpdate, Name: "rename and describe", Needs: core.ClauseServerUpdate, Unsupported: probeUpdateServer,
			Run: func(ctx context.Context, e *Env) error {
				s, _, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				name, desc := e.Name("renamed"), "described by the conformance suite"
				got, err := e.Driver.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &name, Description: &desc})
				if err != nil {
					return fmt.Errorf("UpdateServer: %w", err)
				}
				if got.Name != name || got.Description != desc {
					return Failf("UpdateServer answered name %q, description %q; want %q, %q", got.Name, got.Description, name, desc)
				}
				// Only what the update names changes.
				desc2 := "described again"
				if _, err := e.Driver.UpdateServer(ctx, s.ID, core.ServerUpdate{Description: &desc2}); err != nil {
					return fmt.Errorf("UpdateServer of the description: %w", err)
				}
				got, err = e.Driver.GetServer(ctx, s.ID)
				if err != nil {
					return fmt.Errorf("GetServer: %w", err)
				}
				if got.Name != name || got.Description != desc2 {
					return Failf("GetServer after the updates: name %q, description %q; want %q, %q", got.Name, got.Description, name, desc2)
				}
				return nil
			}},
		Check{Clause: core.ClauseServerUpdate, Name: "empty update is invalid", Needs: core.ClauseServerUpdate, Unsupported: probeUpdateServer,
			Run: func(ctx context.Context, e *Env) error {
				s, _, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				_, err = e.Driver.UpdateServer(ctx, s.ID, core.ServerUpdate{})
				if err := WantKind("UpdateServer with nothing to change", err, core.InvalidArgument); err != nil {
					return err
				}
				empty := ""
				_, err = e.Driver.UpdateServer(ctx, s.ID, core.ServerUpdate{Name: &empty})
				return WantKind("UpdateServer to an empty name", err, core.InvalidArgument)
			}},
		Check{Clause: core.ClauseServerUpdate, Name: "unknown is not found", Needs: core.ClauseServerUpdate, Unsupported: probeUpdateServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("UpdateServer of an unknown id", probeUpdateServer(ctx, e), core.NotFound)
			}},

		// B.2.1.5 Start server.
		Check{Clause: core.ClauseServerStart, Name: "start", Needs: core.ClauseServerStart, Unsupported: probeStartServer,
			Run: func(ctx context.Context, e *Env) error {
				s, _, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				if err := WantKind("StartServer of an ACTIVE server", e.Driver.StartServer(ctx, s.ID), core.Conflict); err != nil {
					return err
				}
				if err := e.Driver.StopServer(ctx, s.ID); err != nil {
					return Broken(fmt.Errorf("StopServer, to have a server to start: %w", err))
				}
				if _, err := waitServer(ctx, e, s.ID, core.ServerShutoff); err != nil {
					return Broken(err)
				}
				if err := e.Driver.StartServer(ctx, s.ID); err != nil {
					return fmt.Errorf("StartServer: %w", err)
				}
				_, err = waitServer(ctx, e, s.ID, core.ServerActive)
				return err
			}},
		Check{Clause: core.ClauseServerStart, Name: "unknown is not found", Needs: core.ClauseServerStart, Unsupported: probeStartServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("StartServer of an unknown id", probeStartServer(ctx, e), core.NotFound)
			}},

		// B.2.1.6 Stop server.
		Check{Clause: core.ClauseServerStop, Name: "stop", Needs: core.ClauseServerStop, Unsupported: probeStopServer,
			Run: func(ctx context.Context, e *Env) error {
				s, b, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				if err := e.Driver.StopServer(ctx, s.ID); err != nil {
					return fmt.Errorf("StopServer: %w", err)
				}
				if _, err := waitServer(ctx, e, s.ID, core.ServerShutoff); err != nil {
					return err
				}
				if err := WantKind("StopServer of a SHUTOFF server", e.Driver.StopServer(ctx, s.ID), core.Conflict); err != nil {
					return err
				}
				// Billing rates a stopped server differently: the stop is an event.
				return wantServerEvent(ctx, e, s, b.Flavor, "server "+s.ID+" to SHUTOFF", func(x core.Event) bool {
					return x.ToState == string(core.ServerShutoff)
				})
			}},
		Check{Clause: core.ClauseServerStop, Name: "unknown is not found", Needs: core.ClauseServerStop, Unsupported: probeStopServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("StopServer of an unknown id", probeStopServer(ctx, e), core.NotFound)
			}},

		// B.2.1.7 Reboot server.
		Check{Clause: core.ClauseServerReboot, Name: "soft and hard", Needs: core.ClauseServerReboot, Unsupported: probeRebootServer,
			Run: func(ctx context.Context, e *Env) error {
				s, _, err := newServer(ctx, e, nil, nil)
				if err != nil {
					return err
				}
				if err := WantKind("RebootServer of type MEDIUM", e.Driver.RebootServer(ctx, s.ID, "MEDIUM"), core.InvalidArgument); err != nil {
					return err
				}
				for _, kind := range []core.RebootType{core.RebootSoft, core.RebootHard} {
					if err := e.Driver.RebootServer(ctx, s.ID, kind); err != nil {
						return fmt.Errorf("RebootServer %s: %w", kind, err)
					}
					if _, err := waitServer(ctx, e, s.ID, core.ServerActive); err != nil {
						return fmt.Errorf("after a %s reboot: %w", kind, err)
					}
				}
				return nil
			}},
		Check{Clause: core.ClauseServerReboot, Name: "unknown is not found", Needs: core.ClauseServerReboot, Unsupported: probeRebootServer,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("RebootServer of an unknown id", probeRebootServer(ctx, e), core.NotFound)
			}},

		// B.2.1.8 List servers.
		Check{Clause: core.ClauseServerList, Name: "list", Needs: core.ClauseServerList, Unsupported: probeListServers,
			Run: func(ctx context.Context, e *Env) error {
				var req core.ServerCreate
				s, b, err := newServer(ctx, e, nil, func(r *core.ServerCreate) { req = *r })
				if err != nil {
					return err
				}
				for _, o := range []core.ListOptions{{ProjectID: e.Project, DatacenterID: e.Datacenter}, {ProjectID: e.Project}} {
					ss, err := e.Driver.ListServers(ctx, o)
					if err != nil {
						return fmt.Errorf("ListServers(%+v): %w", o, err)
					}
					found := false
					for _, x := range ss {
						if x.ID != s.ID {
							if x.ProjectID != "" && x.ProjectID != e.Project {
								return Failf("ListServers(%+v) shows server %s of project %s", o, x.ID, x.ProjectID)
							}
							continue
						}
						found = true
						// A list shows the same fields as a show (B.2.1.8).
						if err := wantServerFields(e, "ListServers", x, req); err != nil {
							return err
						}
						if err := wantPrivateAddress(x, b.Network); err != nil {
							return fmt.Errorf("ListServers: %w", err)
						}
					}
					if !found {
						return Failf("ListServers(%+v) does not show server %s", o, s.ID)
					}
				}
				// Another project's list never shows the run's server; a
				// target may refuse to list it at all.
				ss, err := e.Driver.ListServers(ctx, core.ListOptions{ProjectID: unrelatedProject(e)})
				if core.KindOf(err) == core.PermissionDenied {
					return nil
				}
				if err != nil {
					return fmt.Errorf("ListServers of another project: %w", err)
				}
				for _, x := range ss {
					if x.ID == s.ID {
						return Failf("ListServers of another project shows the run's server %s", s.ID)
					}
				}
				return nil
			}},

		// B.2.1.9 Live-migrate server.
		Check{Clause: core.ClauseServerLiveMigrate, Name: "to another host", Needs: core.ClauseServerLiveMigrate, Unsupported: probeLiveMigrate,
			Run: checkLiveMigrate},
		Check{Clause: core.ClauseServerLiveMigrate, Name: "unknown is not found", Needs: core.ClauseServerLiveMigrate, Unsupported: probeLiveMigrate,
			Run: func(ctx context.Context, e *Env) error {
				return WantKind("LiveMigrateServer of an unknown id", probeLiveMigrate(ctx, e), core.NotFound)
			}},

		// B.2.1.10 Resize server.
		Check{Clause: core.ClauseServerResize, Name: "resize and confirm", Needs: core.ClauseServerResize, Unsupported: probeResize,
			Run: func(ctx context.Context, e *Env) error { return checkResize(ctx, e, true) }},
		Check{Clause: core.ClauseServerResize, Name: "resize and revert", Needs: core.ClauseServerResize, Unsupported: probeResize,
			Run: func(ctx context.Context, e *Env) error { return checkResize(ctx, e, false) }},
		Check{Clause: core.ClauseServerResize, Name: "unknown is not found", Needs: core.ClauseServerResize, Unsupported: probeResize,
			Run: func(ctx context.Context, e *Env) error {
				b, err := pickBoot(ctx, e)
				if err != nil {
					return err
				}
				return WantKind("ResizeServer of an unknown id", e.Driver.ResizeServer(ctx, noSuch, b.Flavor.ID), core.NotFound)
			}},

		// B.1.3.1 Compute quota.
		Check{Clause: core.ClauseComputeQuota, Name: "fields and usage", Needs: core.ClauseComputeQuota, Unsupported: probeComputeQuota,
			Run: checkComputeQuota},
		// B.1.3.2 Volume quota.
		Check{Clause: core.ClauseVolumeQuota, Name: "fields and usage", Needs: core.ClauseVolumeQuota, Unsupported: probeVolumeQuota,
			Run: checkVolumeQuota},
	)
}

// checkServerQuotaExceeded provokes quota_exceeded with one refused create:
// a flavor of one vCPU more than the project has left. It needs a finite
// vCPU quota (B.1.3.1) and flavor create (B.2.2.1); without them there is
// no cheap way to exceed a quota, and the check passes without judging.
func checkServerQuotaExceeded(ctx context.Context, e *Env) error {
	if !e.Info.Supports(core.ClauseComputeQuota) || !e.Info.Supports(core.ClauseFlavorCreate) || !e.Info.Supports(core.ClauseFlavorDelete) {
		return nil
	}
	b, err := pickBoot(ctx, e)
	if err != nil {
		return err
	}
	q, err := e.Driver.GetComputeQuota(ctx, e.Datacenter, e.Project)
	if err != nil {
		return Broken(fmt.Errorf("GetComputeQuota: %w", err))
	}
	vcpus := q.TotalVCPUs - q.UsedVCPUs + 1
	if q.TotalVCPUs < 0 || vcpus < 1 || vcpus > 1024 {
		return nil // unlimited, or beyond what a flavor may have
	}
	id := e.Name("flvq")
	f, err := e.Driver.CreateFlavor(ctx, core.FlavorCreate{ID: id, Name: id, VCPUs: vcpus, MemoryMB: b.Flavor.MemoryMB, DiskGB: b.Flavor.DiskGB, Public: true})
	if err != nil {
		return Broken(fmt.Errorf("CreateFlavor of %d vCPUs: %w", vcpus, err))
	}
	e.Cleanup("flavor "+f.ID, func(ctx context.Context) error { return e.Driver.DeleteFlavor(ctx, f.ID) })
	b.Flavor = f
	req := serverRequest(e, b)
	s, err := e.Driver.CreateServer(ctx, req)
	if err == nil && s.ID != "" {
		e.Cleanup("server "+s.ID, func(ctx context.Context) error { return deleteServerAndWait(ctx, e, s.ID) })
	}
	if err := WantKind(fmt.Sprintf("CreateServer of %d vCPUs with %d of %d used", vcpus, q.UsedVCPUs, q.TotalVCPUs), err, core.QuotaExceeded); err != nil {
		return err
	}
	return refusedCreateLeftNothing(ctx, e, req.Name)
}

// checkLiveMigrate moves a server to another host of its datacenter, then
// asks for the host it is on (conflict) and for a host that does not exist
// (invalid argument).
func checkLiveMigrate(ctx context.Context, e *Env) error {
	dcs, err := e.Driver.ListDatacenters(ctx)
	if err != nil {
		return Broken(fmt.Errorf("ListDatacenters: %w", err))
	}
	var hosts []string
	for _, dc := range dcs {
		if dc.ID == e.Datacenter {
			hosts = dc.Hosts
		}
	}
	s, _, err := newServer(ctx, e, nil, nil)
	if err != nil {
		return err
	}
	if s.Host == "" {
		return Failf("server %s shows no host: live migration needs one to move from", s.ID)
	}
	if len(hosts) > 0 && !hasString(hosts, s.Host) {
		return Failf("server %s is on host %q, which is not among datacenter %s's hosts %v", s.ID, s.Host, e.Datacenter, hosts)
	}
	if err := WantKind("LiveMigrateServer to an unknown host", e.Driver.LiveMigrateServer(ctx, s.ID, noSuch), core.InvalidArgument); err != nil {
		return err
	}
	if err := WantKind("LiveMigrateServer to the host it is on", e.Driver.LiveMigrateServer(ctx, s.ID, s.Host), core.Conflict); err != nil {
		return err
	}
	to := ""
	for _, h := range hosts {
		if h != s.Host {
			to = h
			break
		}
	}
	if to == "" {
		// One host: nowhere to move, the refusals above are what can be proven.
		return nil
	}
	if err := e.Driver.LiveMigrateServer(ctx, s.ID, to); err != nil {
		return fmt.Errorf("LiveMigrateServer from %s to %s: %w", s.Host, to, err)
	}
	var got core.Server
	if err := e.Eventually(ctx, fmt.Sprintf("server %s to be ACTIVE on %s", s.ID, to), func(ctx context.Context) (bool, error) {
		got, err = e.Driver.GetServer(ctx, s.ID)
		if err != nil {
			return false, err
		}
		if got.Status == core.ServerError {
			return false, Failf("server %s went to ERROR while migrating", s.ID)
		}
		return got.Status == core.ServerActive && got.Host == to, nil
	}); err != nil {
		return fmt.Errorf("%w (last seen %s on %q)", err, got.Status, got.Host)
	}
	return nil
}

func hasString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// checkResize resizes a server to a second flavor, waits for
// VERIFY_RESIZE, then confirms (the new flavor stays) or reverts (the old
// one comes back).
func checkResize(ctx context.Context, e *Env, confirm bool) error {
	s, b, err := newServer(ctx, e, nil, nil)
	if err != nil {
		return err
	}
	to, err := largerFlavor(ctx, e, b)
	if err != nil {
		return err
	}
	if confirm {
		// The refusals first, while the server is plainly ACTIVE.
		if err := WantKind("ConfirmResize of a server not resized", e.Driver.ConfirmResize(ctx, s.ID), core.Conflict); err != nil {
			return err
		}
		if err := WantKind("ResizeServer to an unknown flavor", e.Driver.ResizeServer(ctx, s.ID, noSuch), core.InvalidArgument); err != nil {
			return err
		}
	}
	if err := e.Driver.ResizeServer(ctx, s.ID, to.ID); err != nil {
		return fmt.Errorf("ResizeServer from %s to %s: %w", b.Flavor.ID, to.ID, err)
	}
	if _, err := waitServer(ctx, e, s.ID, core.ServerVerifyResize); err != nil {
		return err
	}
	final, op := to, "ConfirmResize"
	if confirm {
		err = e.Driver.ConfirmResize(ctx, s.ID)
	} else {
		final, op = b.Flavor, "RevertResize"
		err = e.Driver.RevertResize(ctx, s.ID)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	got, err := waitServer(ctx, e, s.ID, core.ServerActive)
	if err != nil {
		return err
	}
	if got.FlavorID != final.ID {
		return Failf("after %s the server has flavor %s, want %s", op, got.FlavorID, final.ID)
	}
	// Billing rates the server at its settled flavor from this event on.
	return wantServerEvent(ctx, e, s, final, "server "+s.ID+" from VERIFY_RESIZE to ACTIVE", func(x core.Event) bool {
		return x.FromState == string(core.ServerVerifyResize) && x.ToState == string(core.ServerActive)
	})
}

// checkComputeQuota reads the project's compute quota, boots a server and
// reads it again: the used counts must have moved by the server's flavor.
func checkComputeQuota(ctx context.Context, e *Env) error {
	before, err := e.Driver.GetComputeQuota(ctx, e.Datacenter, e.Project)
	if err != nil {
		return fmt.Errorf("GetComputeQuota: %w", err)
	}
	if err := wantComputeQuota(e, before); err != nil {
		return err
	}
	if !e.Info.Supports(core.ClauseServerCreate) {
		return nil // nothing to use the quota with
	}
	_, b, err := newServer(ctx, e, nil, nil)
	if err != nil {
		return Broken(err)
	}
	var after core.ComputeQuota
	err = e.Eventually(ctx, "the compute quota to count the new server", func(ctx context.Context) (bool, error) {
		after, err = e.Driver.GetComputeQuota(ctx, e.Datacenter, e.Project)
		if err != nil {
			return false, fmt.Errorf("GetComputeQuota: %w", err)
		}
		return after.UsedServers-before.UsedServers == 1 && after.UsedVCPUs-before.UsedVCPUs == b.Flavor.VCPUs &&
			after.UsedMemoryMB-before.UsedMemoryMB == b.Flavor.MemoryMB, nil
	})
	if err != nil {
		return fmt.Errorf("%w: used servers %d→%d, vcpus %d→%d, memory %d→%d MB; a %s server has %d vCPUs, %d MB",
			err, before.UsedServers, after.UsedServers, before.UsedVCPUs, after.UsedVCPUs, before.UsedMemoryMB, after.UsedMemoryMB,
			b.Flavor.ID, b.Flavor.VCPUs, b.Flavor.MemoryMB)
	}
	return wantComputeQuota(e, after)
}

func wantComputeQuota(e *Env, q core.ComputeQuota) error {
	if q.DatacenterID != e.Datacenter || q.ProjectID != e.Project {
		return Failf("GetComputeQuota: datacenter %q, project %q; want %q, %q", q.DatacenterID, q.ProjectID, e.Datacenter, e.Project)
	}
	for _, x := range []struct {
		what        string
		total, used int64
	}{{"memory_mb", q.TotalMemoryMB, q.UsedMemoryMB}, {"vcpus", q.TotalVCPUs, q.UsedVCPUs}, {"servers", q.TotalServers, q.UsedServers}} {
		// A negative total is unlimited; a used count is never negative.
		if x.used < 0 || (x.total >= 0 && x.used > x.total) {
			return Failf("GetComputeQuota: %s used %d of %d", x.what, x.used, x.total)
		}
	}
	return nil
}

// checkVolumeQuota reads the project's volume quota, creates a 1 GB volume
// and reads it again: the used counts must have moved by one volume, 1 GB.
func checkVolumeQuota(ctx context.Context, e *Env) error {
	before, err := e.Driver.GetVolumeQuota(ctx, e.Datacenter, e.Project)
	if err != nil {
		return fmt.Errorf("GetVolumeQuota: %w", err)
	}
	if err := wantVolumeQuota(e, before); err != nil {
		return err
	}
	if !e.Info.Supports(core.ClauseVolumeCreate) {
		return nil
	}
	v, err := e.Driver.CreateVolume(ctx, core.VolumeCreate{CreateMeta: e.Meta(), Name: e.Name("vol"), SizeGB: 1})
	if err != nil {
		return Broken(fmt.Errorf("CreateVolume: %w", err))
	}
	e.Cleanup("volume "+v.ID, func(ctx context.Context) error { return deleteQuotaVolume(ctx, e, v.ID) })
	var after core.VolumeQuota
	err = e.Eventually(ctx, "the volume quota to count the new volume", func(ctx context.Context) (bool, error) {
		after, err = e.Driver.GetVolumeQuota(ctx, e.Datacenter, e.Project)
		if err != nil {
			return false, fmt.Errorf("GetVolumeQuota: %w", err)
		}
		return after.UsedVolumes-before.UsedVolumes == 1 && after.UsedGB-before.UsedGB == 1, nil
	})
	if err != nil {
		return fmt.Errorf("%w: used volumes %d→%d, GB %d→%d after a 1 GB volume", err, before.UsedVolumes, after.UsedVolumes, before.UsedGB, after.UsedGB)
	}
	return wantVolumeQuota(e, after)
}

func wantVolumeQuota(e *Env, q core.VolumeQuota) error {
	if q.DatacenterID != e.Datacenter || q.ProjectID != e.Project {
		return Failf("GetVolumeQuota: datacenter %q, project %q; want %q, %q", q.DatacenterID, q.ProjectID, e.Datacenter, e.Project)
	}
	if q.UsedGB < 0 || (q.TotalGB >= 0 && q.UsedGB > q.TotalGB) || q.UsedVolumes < 0 || (q.TotalVolumes >= 0 && q.UsedVolumes > q.TotalVolumes) {
		return Failf("GetVolumeQuota: %d of %d GB, %d of %d volumes used", q.UsedGB, q.TotalGB, q.UsedVolumes, q.TotalVolumes)
	}
	return nil
}

// deleteQuotaVolume waits until the quota check's volume is settled (a
// volume still creating cannot be deleted), deletes it and waits until it
// is gone.
func deleteQuotaVolume(ctx context.Context, e *Env, id string) error {
	if err := e.Eventually(ctx, "volume "+id+" to be settled", func(ctx context.Context) (bool, error) {
		v, err := e.Driver.GetVolume(ctx, id)
		if err != nil {
			return false, err
		}
		return v.Status == core.VolumeAvailable || v.Status == core.VolumeError, nil
	}); err != nil {
		return err
	}
	if err := e.Driver.DeleteVolume(ctx, id); err != nil {
		return err
	}
	return waitGone(ctx, e, "volume "+id, func(ctx context.Context) error {
		v, err := e.Driver.GetVolume(ctx, id)
		if err == nil && v.Status == core.VolumeDeleted {
			return core.ErrNotFound
		}
		return err
	})
}
