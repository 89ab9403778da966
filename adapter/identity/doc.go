// Package identity is who may call the API: the departments, projects, users
// and roles of the billing manual §2.5, password and access-key login, and
// the bearer tokens the HTTP API checks on every request. It keeps its state
// in an adapter/store database.
//
// Departments contain projects; a user belongs to exactly one department
// (and to the "Default" domain) and holds roles — admin, department_admin,
// project_admin, member — in projects. Nothing secret is stored in clear:
// passwords as argon2id PHC strings, access-key secrets and tokens as
// SHA-256 of 256 random bits, each shown to its owner once.
//
//	ids, _ := identity.New(db)
//	created, _ := ids.Bootstrap(ctx, generatedPassword) // print it if created
//	tok, err := ids.Authenticate(ctx, identity.Credentials{
//		UserName: "admin", Password: pw,
//		Scope:    &identity.Scope{ProjectName: "admin", DepartmentName: "Default"},
//	})
//	// hand tok.Value to the client once; on each request:
//	who, err := ids.ValidateToken(ctx, bearer) // Unauthenticated if expired, revoked or unknown
//	if who.HasRole(identity.RoleAdmin) { ... }
package identity
