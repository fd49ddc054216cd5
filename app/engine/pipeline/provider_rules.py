"""Per-provider structure facts: artifact counts and configuration keys (reference §1.2).

Pure data, keyed by (category, owner, provider). The structure validator reads it; nothing here
knows about findings. Values keep their documented case; compare them with `value_in`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CATEGORIES = frozenset({"Source", "Build", "Deploy", "Test", "Invoke", "Approval", "Compute"})
OWNERS = frozenset({"AWS", "ThirdParty", "Custom"})

# Custom action types may declare 0-5 input and output artifacts (ArtifactDetails).
CUSTOM_ARTIFACT_RANGE = (0, 5)


@dataclass(frozen=True)
class Condition:
    """Keys (and a minimum input count) that become required in one situation.

    The situation is either a configuration key holding one of `values`, or the action having
    more than `more_inputs_than` input artifacts.
    """

    required: tuple[str, ...] = ()
    key: str | None = None
    values: frozenset[str] = frozenset()
    more_inputs_than: int | None = None
    min_inputs: int = 0

    def describe(self) -> str:
        if self.key is not None:
            shown = "/".join(sorted(self.values))
            return f"`{self.key}` is `{shown}`"
        return f"the action has more than {self.more_inputs_than} input artifact(s)"


@dataclass(frozen=True)
class Dependency:
    """`key` only makes sense together with `needs` (holding one of `needs_values`, if given)."""

    key: str
    needs: str
    needs_values: frozenset[str] = frozenset()
    error: bool = False


@dataclass(frozen=True)
class ProviderRule:
    inputs: tuple[int, int]
    outputs: tuple[int, int]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # At least one of these key groups must be fully present.
    alternatives: tuple[tuple[str, ...], ...] = ()
    conditions: tuple[Condition, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    allowed_values: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Keys whose value names one of the action's input artifacts.
    artifact_keys: tuple[str, ...] = ()
    # Keys whose value is `ArtifactName::path/in/artifact`.
    artifact_path_keys: tuple[str, ...] = ()
    v2_only: bool = False
    # False when the documentation does not list the keys (no unknown-key check).
    keys_documented: bool = True
    doc_page: str = ""

    @property
    def known_keys(self) -> frozenset[str]:
        keys = set(self.required) | set(self.optional)
        for group in self.alternatives:
            keys |= set(group)
        for condition in self.conditions:
            keys |= set(condition.required)
            if condition.key:
                keys.add(condition.key)
        for dep in self.dependencies:
            keys |= {dep.key, dep.needs}
        keys |= set(self.allowed_values) | set(self.artifact_keys) | set(self.artifact_path_keys)
        return frozenset(keys)


def _values(*items: str) -> frozenset[str]:
    return frozenset(items)


def value_in(value: str, allowed: frozenset[str]) -> bool:
    """Case-insensitive membership, the way the table's values are compared."""
    return value.lower() in {a.lower() for a in allowed}


def _allowed(**items: frozenset[str]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(dict(items))


_OUTPUT_FORMAT = _values("CODE_ZIP", "CODEBUILD_CLONE_REF")
_CODEBUILD = ProviderRule(
    inputs=(1, 5),
    outputs=(0, 5),
    required=("ProjectName",),
    optional=("BatchEnabled", "CombineArtifacts", "BuildspecOverride", "EnvironmentVariables"),
    conditions=(Condition(required=("PrimarySource",), more_inputs_than=1),),
    dependencies=(Dependency("CombineArtifacts", "BatchEnabled", needs_values=_values("true")),),
    allowed_values=_allowed(BatchEnabled=_values("true", "false")),
    artifact_keys=("PrimarySource",),
    doc_page="action-reference-CodeBuild",
)
_CONNECTION = ProviderRule(
    inputs=(0, 0),
    outputs=(1, 1),
    required=("ConnectionArn", "FullRepositoryId", "BranchName"),
    optional=("DetectChanges",),
    allowed_values=_allowed(
        OutputArtifactFormat=_OUTPUT_FORMAT, DetectChanges=_values("true", "false")
    ),
    doc_page="action-reference-CodestarConnectionSource",
)
_CFN_MODES = _values(
    "CHANGE_SET_EXECUTE", "CHANGE_SET_REPLACE", "CREATE_UPDATE", "DELETE_ONLY", "REPLACE_ON_FAILURE"
)
_STACKSET_COMMON = (
    "DeploymentTargets",
    "FailureTolerancePercentage",
    "MaxConcurrentPercentage",
    "RegionConcurrencyType",
    "CallAs",
)
_STACKSET_VALUES = _allowed(
    ConcurrencyMode=_values("STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"),
    CallAs=_values("SELF", "DELEGATED_ADMIN"),
)

PROVIDER_RULES: Mapping[tuple[str, str, str], ProviderRule] = MappingProxyType(
    {
        ("Source", "AWS", "S3"): ProviderRule(
            inputs=(0, 0),
            outputs=(1, 1),
            required=("S3Bucket", "S3ObjectKey"),
            optional=("PollForSourceChanges", "AllowOverrideForS3ObjectKey"),
            allowed_values=_allowed(
                PollForSourceChanges=_values("true", "false"),
                AllowOverrideForS3ObjectKey=_values("true", "false"),
            ),
            doc_page="action-reference-S3",
        ),
        ("Source", "AWS", "CodeCommit"): ProviderRule(
            inputs=(0, 0),
            outputs=(1, 1),
            required=("RepositoryName", "BranchName"),
            optional=("PollForSourceChanges",),
            allowed_values=_allowed(
                PollForSourceChanges=_values("true", "false"),
                OutputArtifactFormat=_OUTPUT_FORMAT,
            ),
            doc_page="action-reference-CodeCommit",
        ),
        ("Source", "AWS", "ECR"): ProviderRule(
            inputs=(0, 0),
            outputs=(1, 1),
            required=("RepositoryName",),
            optional=("ImageTag",),
            doc_page="action-reference-ECR",
        ),
        ("Source", "AWS", "CodeStarSourceConnection"): _CONNECTION,
        ("Source", "ThirdParty", "GitHub"): ProviderRule(
            inputs=(0, 0),
            outputs=(1, 1),
            required=("Owner", "Repo", "Branch", "OAuthToken"),
            optional=("PollForSourceChanges",),
            allowed_values=_allowed(PollForSourceChanges=_values("true", "false")),
            doc_page="appendix-github-oauth",
        ),
        ("Build", "AWS", "CodeBuild"): _CODEBUILD,
        ("Test", "AWS", "CodeBuild"): _CODEBUILD,
        ("Build", "AWS", "ECRBuildAndPublish"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ECRRepositoryName",),
            optional=("DockerFilePath", "ImageTags"),
            allowed_values=_allowed(RegistryType=_values("private", "public")),
            v2_only=True,
            doc_page="action-reference-ECRBuildAndPublish",
        ),
        ("Test", "AWS", "DeviceFarm"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("AppType", "ProjectId", "App", "DevicePoolArn", "TestType"),
            optional=(
                "TestSpec",
                "RadioBluetoothEnabled",
                "RecordAppPerformanceData",
                "RecordVideo",
                "RadioWifiEnabled",
                "RadioNfcEnabled",
                "RadioGpsEnabled",
                "Test",
                "FuzzEventCount",
                "FuzzEventThrottle",
                "FuzzRandomizerSeed",
                "CustomHostMachineArtifacts",
                "CustomDeviceArtifacts",
                "UnmeteredDevicesOnly",
                "JobTimeoutMinutes",
                "Latitude",
                "Longitude",
            ),
            allowed_values=_allowed(AppType=_values("iOS", "Android", "Web")),
            doc_page="action-reference-DeviceFarm",
        ),
        ("Deploy", "AWS", "S3"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("BucketName", "Extract"),
            optional=("KMSEncryptionKeyARN", "CannedACL", "CacheControl"),
            conditions=(
                Condition(required=("ObjectKey",), key="Extract", values=_values("false")),
            ),
            allowed_values=_allowed(Extract=_values("true", "false")),
            doc_page="action-reference-S3Deploy",
        ),
        ("Deploy", "AWS", "CloudFormation"): ProviderRule(
            inputs=(0, 10),
            outputs=(0, 1),
            required=("ActionMode", "StackName"),
            optional=("Capabilities", "OutputFileName", "ParameterOverrides"),
            conditions=(
                Condition(
                    required=("ChangeSetName",),
                    key="ActionMode",
                    values=_values("CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE"),
                ),
                Condition(
                    required=("RoleArn",),
                    key="ActionMode",
                    values=_values(
                        "CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE"
                    ),
                ),
                Condition(
                    required=("TemplatePath",),
                    key="ActionMode",
                    values=_values("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE"),
                ),
            ),
            allowed_values=_allowed(ActionMode=_CFN_MODES),
            artifact_path_keys=("TemplatePath", "TemplateConfiguration"),
            doc_page="action-reference-CloudFormation",
        ),
        ("Deploy", "AWS", "CloudFormationStackSet"): ProviderRule(
            inputs=(1, 3),
            outputs=(0, 0),
            required=("StackSetName", "TemplatePath"),
            optional=(
                "Description",
                "Parameters",
                "Capabilities",
                "AdministrationRoleArn",
                "ExecutionRoleName",
                "Regions",
                *_STACKSET_COMMON,
            ),
            allowed_values=_allowed(
                PermissionModel=_values("SELF_MANAGED", "SERVICE_MANAGED"),
                OrganizationsAutoDeployment=_values(
                    "Enabled", "Disabled", "EnabledWithStackRetention"
                ),
                **_STACKSET_VALUES,
            ),
            artifact_path_keys=("TemplatePath",),
            doc_page="action-reference-StackSets",
        ),
        ("Deploy", "AWS", "CloudFormationStackInstances"): ProviderRule(
            inputs=(0, 2),
            outputs=(0, 0),
            required=("StackSetName", "Regions"),
            optional=("ParameterOverrides", *_STACKSET_COMMON),
            allowed_values=_STACKSET_VALUES,
            doc_page="action-reference-StackSets",
        ),
        ("Deploy", "AWS", "CodeDeploy"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ApplicationName", "DeploymentGroupName"),
            doc_page="action-reference-CodeDeploy",
        ),
        ("Deploy", "AWS", "CodeDeployToECS"): ProviderRule(
            inputs=(1, 5),
            outputs=(0, 0),
            required=(
                "ApplicationName",
                "DeploymentGroupName",
                "TaskDefinitionTemplateArtifact",
                "AppSpecTemplateArtifact",
            ),
            optional=(
                "AppSpecTemplatePath",
                "TaskDefinitionTemplatePath",
                *(f"Image{n}ContainerName" for n in range(1, 5)),
            ),
            artifact_keys=(
                "TaskDefinitionTemplateArtifact",
                "AppSpecTemplateArtifact",
                *(f"Image{n}ArtifactName" for n in range(1, 5)),
            ),
            doc_page="action-reference-ECSbluegreen",
        ),
        ("Deploy", "AWS", "ECS"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ClusterName", "ServiceName"),
            optional=("FileName", "DeploymentTimeout"),
            doc_page="action-reference-ECS",
        ),
        ("Deploy", "AWS", "EKS"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ClusterName",),
            optional=("HelmValuesFiles", "Namespace", "Subnets", "SecurityGroupIds"),
            alternatives=(("HelmReleaseName", "HelmChartLocation"), ("ManifestFiles",)),
            v2_only=True,
            doc_page="action-reference-EKS",
        ),
        ("Deploy", "AWS", "EC2"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("InstanceTagKey", "InstanceType"),
            optional=(
                "InstanceTagValue",
                "MaxBatch",
                "MaxError",
                "TargetGroupNameList",
                "PreScript",
            ),
            alternatives=(("TargetDirectory", "PostScript"), ("DeploySpec",)),
            allowed_values=_allowed(InstanceType=_values("EC2", "SSM_MANAGED_NODE")),
            v2_only=True,
            doc_page="action-reference-EC2Deploy",
        ),
        ("Deploy", "AWS", "Lambda"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("FunctionName",),
            optional=("PublishedTargetVersion", "Alarms"),
            dependencies=(Dependency("DeployStrategy", "FunctionAlias", error=True),),
            v2_only=True,
            doc_page="action-reference-LambdaDeploy",
        ),
        ("Deploy", "AWS", "ElasticBeanstalk"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ApplicationName", "EnvironmentName"),
            doc_page="action-reference-Beanstalk",
        ),
        ("Deploy", "AWS", "OpsWorks"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 1),
            required=("Stack", "App"),
            optional=("Layer",),
            doc_page="action-reference-OpsWorks",
        ),
        ("Deploy", "AWS", "ServiceCatalog"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=("ProductId",),
            optional=("ProductVersionDescription",),
            alternatives=(
                ("TemplateFilePath", "ProductVersionName", "ProductType"),
                ("ConfigurationFilePath",),
            ),
            doc_page="action-reference-ServiceCatalog",
        ),
        ("Deploy", "AWS", "AppConfig"): ProviderRule(
            inputs=(1, 1),
            outputs=(0, 0),
            required=(
                "Application",
                "Environment",
                "ConfigurationProfile",
                "InputArtifactConfigurationPath",
            ),
            optional=("DeploymentStrategy",),
            doc_page="action-reference-AppConfig",
        ),
        ("Deploy", "ThirdParty", "AlexaSkillsKit"): ProviderRule(
            inputs=(1, 2),
            outputs=(0, 0),
            required=("ClientId", "ClientSecret", "RefreshToken", "SkillId"),
            doc_page="structure-configuration-examples",
        ),
        ("Approval", "AWS", "Manual"): ProviderRule(
            inputs=(0, 0),
            outputs=(0, 0),
            optional=("CustomData", "ExternalEntityLink", "NotificationArn"),
            doc_page="structure-configuration-examples",
        ),
        ("Invoke", "AWS", "Lambda"): ProviderRule(
            inputs=(0, 5),
            outputs=(0, 5),
            required=("FunctionName",),
            optional=("UserParameters",),
            doc_page="action-reference-Lambda",
        ),
        ("Invoke", "AWS", "StepFunctions"): ProviderRule(
            inputs=(0, 1),
            outputs=(0, 1),
            required=("StateMachineArn",),
            optional=("ExecutionNamePrefix",),
            conditions=(
                Condition(
                    required=("Input",), key="InputType", values=_values("FilePath"), min_inputs=1
                ),
            ),
            allowed_values=_allowed(InputType=_values("Literal", "FilePath")),
            doc_page="action-reference-StepFunctions",
        ),
        ("Invoke", "AWS", "InspectorScan"): ProviderRule(
            inputs=(0, 1),
            outputs=(1, 1),
            required=("InspectorRunMode",),
            optional=(
                "ECRRepositoryName",
                "ImageTag",
                "CriticalThreshold",
                "HighThreshold",
                "MediumThreshold",
                "LowThreshold",
            ),
            conditions=(
                Condition(key="InspectorRunMode", values=_values("SourceCodeScan"), min_inputs=1),
            ),
            allowed_values=_allowed(InspectorRunMode=_values("SourceCodeScan", "ECRImageScan")),
            doc_page="action-reference-InspectorScan",
        ),
        ("Invoke", "AWS", "CodePipeline"): ProviderRule(
            inputs=(0, 0),
            outputs=(0, 0),
            required=("PipelineName",),
            optional=("SourceRevisions", "Variables"),
            v2_only=True,
            doc_page="action-reference-PipelineInvoke",
        ),
        ("Invoke", "ThirdParty", "Snyk"): ProviderRule(
            inputs=(1, 1),
            outputs=(1, 1),
            keys_documented=False,
            doc_page="action-reference-Snyk",
        ),
        ("Compute", "AWS", "Commands"): ProviderRule(
            inputs=(1, 10),
            outputs=(0, 1),
            optional=("VpcId", "Subnets", "SecurityGroupIds"),
            allowed_values=_allowed(
                EnvironmentType=_values("LINUX_CONTAINER", "WINDOWS_SERVER_2022_CONTAINER"),
                ComputeType=_values(
                    "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"
                ),
            ),
            v2_only=True,
            doc_page="action-reference-Commands",
        ),
    }
)

# The 2025 artifact table lists the connections source under owner ThirdParty (reference note 1).
_OWNER_ALIASES = MappingProxyType(
    {
        ("Source", "ThirdParty", "CodeStarSourceConnection"): (
            "Source",
            "AWS",
            "CodeStarSourceConnection",
        )
    }
)


def provider_rule(category: str, owner: str, provider: str) -> ProviderRule | None:
    key = (category, owner, provider)
    return PROVIDER_RULES.get(_OWNER_ALIASES.get(key, key))


def is_v2_only(category: str, owner: str, provider: str) -> bool:
    rule = provider_rule(category, owner, provider)
    return rule is not None and rule.v2_only
