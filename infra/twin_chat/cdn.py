"""CloudFront in front of the frontend bucket: OAC, HTTPS only, SPA routing, no-cache index."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import acknowledge

INDEX_DOCUMENT = "index.html"
MINIMUM_TLS = cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
# S3 answers 403 for a missing key when the reader may not list the bucket (OAC).
SPA_ROUTED_STATUSES = (403, 404)


class TwinDistribution(Construct):
    """``distribution`` serving ``frontend_bucket``; ``domain_name`` is what visitors use."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TwinChatConfig,
        frontend_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        origin = origins.S3BucketOrigin.with_origin_access_control(frontend_bucket)
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=f"{config.stack_name}-security-headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
            ),
        )
        certificate = None
        if config.certificate_arn is not None:
            certificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", config.certificate_arn
            )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{config.stack_name} front end",
            default_root_object=INDEX_DOCUMENT,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            additional_behaviors={
                f"/{INDEX_DOCUMENT}": cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    response_headers_policy=headers,
                    compress=True,
                ),
            },
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX_DOCUMENT}",
                    ttl=Duration.seconds(0),
                )
                for status in SPA_ROUTED_STATUSES
            ],
            certificate=certificate,
            domain_names=[config.domain_name] if config.domain_name else None,
            # Only a custom certificate can raise the policy above the default's TLSv1.
            minimum_protocol_version=MINIMUM_TLS if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
        )
        if certificate is None:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain CloudFront serves its default *.cloudfront.net "
                "certificate, which pins the TLSv1 policy; set domain_name and certificate_arn "
                "in infra/config.py to get TLSv1.2_2021.",
            )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The twin is a public demo meant to be reachable from every country.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "Static files only (the API has its own throttling); a WAF web ACL costs more than "
            "it protects here. Attach one through web_acl_id when traffic warrants it.",
        )

    @property
    def domain_name(self) -> str:
        return self.distribution.distribution_domain_name

    @property
    def url(self) -> str:
        return f"https://{self.domain_name}"
