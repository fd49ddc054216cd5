"""The documents a pipeline needs besides its service-role policy: role trust policies, the
artifact bucket and key policies of cross-account actions, the artifact stores of its Regions,
and other resources' policies its actions depend on (app.engine.companions.assemble)."""
