// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "ecs-delegate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ecs-delegate", targets: ["ECSDelegateCLI"]),
        .executable(name: "ecs-manager", targets: ["ECSManagerCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),

        // Pure and I/O cores.
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "JSONValues"),
        .target(name: "Timing"),
        .target(name: "Digests", dependencies: ["COpenSSL"]),
        .target(name: "AWSSigV4", dependencies: ["COpenSSL", "Digests", "JSONValues"]),
        .target(name: "BoundedProcess", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")]),
        .target(name: "AWSCore", dependencies: ["AWSSigV4", "Digests", "BoundedProcess", "HTTPClient", "JSONValues", "Timing", .product(name: "Logging", package: "swift-log")]),
        .target(name: "AWSServices", dependencies: ["AWSCore", "HTTPClient", "DelegateProtocol", "StepContracts", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Registry", dependencies: ["HTTPClient", "DelegateProtocol", "StepContracts", "AWSCore", "AWSServices", "AWSSigV4", "Digests", .product(name: "Logging", package: "swift-log")]),
        .target(name: "DelegateProtocol", dependencies: ["JSONValues"]),
        .target(name: "StepContracts", dependencies: ["DelegateProtocol"]),
        .target(name: "ManagerAPI", dependencies: ["DelegateProtocol", "Pipelines"]),
        .target(name: "ManagerClient", dependencies: ["HTTPClient", "DelegateProtocol", "ManagerAPI", "Pipelines"]),
        .target(name: "LogOutput", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "YAMLSupport", dependencies: ["JSONValues", .product(name: "Yams", package: "Yams")]),
        .target(name: "Manifests", dependencies: ["DelegateProtocol", "YAMLSupport", .product(name: "Yams", package: "Yams")]),
        .target(name: "Pipelines", dependencies: ["DelegateProtocol", "StepContracts", "Manifests", "YAMLSupport", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "sigv4-bench", dependencies: ["AWSSigV4"], path: "Sources/SigV4Bench"),
        .target(name: "SQLiteSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "DelegateRuntime",
            dependencies: [
                "HTTPClient", "DelegateProtocol", "StepContracts", "ManagerClient", "Manifests", "YAMLSupport", "SQLiteSupport", "Timing",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "ECSSteps",
            dependencies: [
                "AWSCore", "AWSServices", "Digests", "DelegateRuntime", "DelegateProtocol", "StepContracts", "Manifests", "HTTPClient", "Registry",
                "BoundedProcess", "Timing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StatusServer",
            dependencies: [
                "DelegateRuntime", "DelegateProtocol", "JSONValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ManagerCore",
            dependencies: [
                "DelegateProtocol", "ManagerAPI", "StepContracts", "COpenSSL", "Digests", "Manifests", "YAMLSupport", "Pipelines", "Timing",
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ManagerSQLite",
            dependencies: [
                "ManagerCore", "DelegateProtocol", "ManagerAPI", "Pipelines", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "ManagerPostgres",
            dependencies: [
                "ManagerCore", "DelegateProtocol", "ManagerAPI", "Pipelines", "StepContracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ManagerHTTP",
            dependencies: [
                "ManagerCore", "DelegateProtocol", "ManagerAPI", "Pipelines", "StepContracts", "HTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // Thin executables.
        .executableTarget(
            name: "ECSDelegateCLI",
            dependencies: [
                "DelegateRuntime", "StatusServer", "HTTPClient", "DelegateProtocol", "StepContracts", "Manifests", "ECSSteps", "LogOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ECSManagerCLI",
            dependencies: [
                "ManagerCore", "ManagerSQLite", "ManagerPostgres", "ManagerHTTP", "ManagerAPI", "ManagerClient", "HTTPClient", "DelegateProtocol", "Pipelines",
                "JSONValues", "YAMLSupport", "LogOutput", "Manifests",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Fuzzing (docs/fuzzing.md): the entry functions, one libFuzzer executable per target
        // (a replay tool when built without `-DFUZZING`), and the regression corpora as tests.
        .target(
            name: "FuzzTargets",
            dependencies: ["Manifests", "DelegateRuntime", "DelegateProtocol", "JSONValues", "AWSCore", "AWSSigV4", "Digests", "Pipelines", "ManagerCore", "ManagerAPI"]
        ),
        .executableTarget(name: "ManifestFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/ManifestFuzzer"),
        .executableTarget(name: "ConfigFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/ConfigFuzzer"),
        .executableTarget(name: "ProtocolFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/ProtocolFuzzer"),
        .executableTarget(name: "AWSResponseFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/AWSResponseFuzzer"),
        .executableTarget(name: "SigV4Fuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/SigV4Fuzzer"),
        .executableTarget(name: "PipelineFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/PipelineFuzzer"),
        .executableTarget(name: "ConnectorFuzzer", dependencies: ["FuzzTargets"], path: "Fuzz/ConnectorFuzzer"),

        // Tests.
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "HTTPClientTests",
            dependencies: ["HTTPClient", "TestSupport", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(name: "BoundedProcessTests", dependencies: ["BoundedProcess"]),
        .testTarget(name: "AWSSigV4Tests", dependencies: ["AWSSigV4", "Digests"], resources: [.copy("Vectors")]),
        .testTarget(name: "AWSCoreTests", dependencies: ["AWSCore", "HTTPClient", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "AWSServicesTests", dependencies: ["AWSServices", "AWSCore", "HTTPClient", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "ECSStepsTests",
            dependencies: [
                "ECSSteps", "AWSCore", "AWSServices", "DelegateProtocol", "StepContracts", "DelegateRuntime", "HTTPClient", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "AWSServices", "DelegateProtocol", "HTTPClient", "TestSupport", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "DelegateProtocolTests", dependencies: ["DelegateProtocol"]),
        .testTarget(name: "StepContractsTests", dependencies: ["StepContracts", "DelegateProtocol"]),
        .testTarget(name: "ManagerAPITests", dependencies: ["ManagerAPI"]),
        .testTarget(name: "TimingTests", dependencies: ["Timing"]),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "DelegateProtocol"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "DelegateProtocol", "StepContracts", "Manifests"]),
        .testTarget(name: "DelegateRuntimeTests", dependencies: ["DelegateRuntime", "YAMLSupport", "LogOutput", "DelegateProtocol", "StepContracts", "StatusServer", "SQLiteSupport", "Timing", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "ManagerTests",
            dependencies: [
                "ManagerCore", "ManagerSQLite", "ManagerPostgres", "ManagerHTTP", "ManagerAPI", "ManagerClient", "HTTPClient", "DelegateProtocol", "StepContracts", "Manifests",
                "Pipelines", "TestSupport", "Timing", "Digests", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "AWSCore"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "HTTPClient", "DelegateProtocol", "StepContracts", "ManagerClient", "TestSupport", "ECSSteps", "AWSCore", "AWSServices", "AWSSigV4", "Digests", "Registry",
                "JSONValues", "YAMLSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
