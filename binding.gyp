{
  "targets": [
    {
      "target_name": "lowrank",
      "sources": [
        "<!@(ls native/napi/*.cc native/core/*.cpp)",
        "native/cuda/device_info_stub.cpp",
        "native/cuda/emulated_backend.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/core",
        "native/cuda",
        "<!@(pkg-config --cflags-only-I eigen3 | sed s/-I//g)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "EIGEN_DONT_PARALLELIZE"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "libraries": ["-ldl"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
    }
  ]
}
