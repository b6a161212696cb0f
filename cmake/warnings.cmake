# Warnings are on for every target; CI adds -Werror through SVA_WERROR.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wno-unused-parameter -Wvla -Wformat=2)
if(SVA_WERROR)
	add_compile_options(-Werror)
endif()
