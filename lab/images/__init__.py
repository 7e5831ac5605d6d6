"""Image generators on full-size images: DCGAN / WGAN-GP / SN-GAN and a convolutional VAE
(`dcgan`, `conv_vae`), their steppable trainers (`trainer`), the runs behind the
`image_gan` / `image_vae` experiments (`runs`), the offline Fréchet score (`fd`), safe
checkpoints (`checkpoint`), the data sources (`data`) and the background worker (`worker`)."""
