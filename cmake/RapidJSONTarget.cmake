# Debian's RapidJSON 1.1.0 exports only RAPIDJSON_INCLUDE_DIRS; wrap it in an imported
# target so consumers link a target like every other dependency.
find_package(RapidJSON 1.1 CONFIG REQUIRED)
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIRS}"
    # std::string support in the DOM API.
    INTERFACE_COMPILE_DEFINITIONS "RAPIDJSON_HAS_STDSTRING=1")
endif()
