# SVA_SANITIZE=address,undefined or thread instruments every target, tests included.
if(SVA_SANITIZE)
	add_compile_options(-fsanitize=${SVA_SANITIZE} -fno-omit-frame-pointer
		-fno-sanitize-recover=all)
	add_link_options(-fsanitize=${SVA_SANITIZE})
	add_compile_definitions(SVA_SANITIZED=1)
	if(SVA_SANITIZE MATCHES "thread")
		add_compile_definitions(SVA_SANITIZED_THREAD=1)
	endif()
endif()
